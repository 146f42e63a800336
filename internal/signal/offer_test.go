package signal_test

import (
	"fmt"
	"strings"
	"testing"

	wire "github.com/rooms-dev/rooms/pkg/api"
)

// sectionsOffer is an offer of n video sections, 137 bytes each, lines
// ending in \n alone (which parsers take) so 1,700 fit in a message.
func sectionsOffer(n int) string {
	var b strings.Builder
	b.WriteString("v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\na=ice-ufrag:abcd\na=ice-pwd:abcdefghijklmnopqrstuvwx\n")
	for i := range n {
		fmt.Fprintf(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\nc=IN IP4 0.0.0.0\na=setup:actpass\na=mid:%d\na=sendonly\na=msid:s t%d\na=rtcp-mux\na=rtpmap:96 VP8/90000\n", i, i)
	}
	return b.String()
}

// TestHostileOffersAreRefused: over a real WebSocket, the offer of the
// attack (1,700 sections in 233 KB, under the message bound) and one of
// nine sections get a non-fatal too_large and no answer; offers sent
// faster than their cost allows close the connection with rate_limited.
func TestHostileOffersAreRefused(t *testing.T) {
	e := newEnv(t)
	ws := e.dial(t, e.roomID)
	send(t, ws, signedJoin(t, ws, e.roomID, "mallory"))
	if m, err := readMsg(t, ws); err != nil || m.Type != wire.MsgJoined {
		t.Fatalf("after join: %v %v", m.Type, err)
	}
	for _, n := range []int{1700, wire.MaxOfferMediaSections + 1} {
		send(t, ws, map[string]any{"type": "offer", "data": map[string]any{"pc": "publish", "sdp": sectionsOffer(n)}})
		m, err := readMsg(t, ws)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != wire.MsgError {
			t.Fatalf("%d sections: got %s, want an error and no answer", n, m.Type)
		}
		if !strings.Contains(string(m.Data), `"code":"too_large"`) || strings.Contains(string(m.Data), `"fatal":true`) {
			t.Fatalf("%d sections: %s, want a non-fatal too_large", n, m.Data)
		}
	}
	for range wire.OfferCostBurst {
		send(t, ws, map[string]any{"type": "offer", "data": map[string]any{"pc": "publish", "sdp": sectionsOffer(wire.MaxOfferMediaSections + 1)}})
		code, fatal := expectError(t, ws)
		if code == wire.CodeRateLimited && fatal {
			return
		}
		if code != wire.CodeTooLarge {
			t.Fatalf("got %q, want too_large until rate_limited", code)
		}
	}
	t.Fatal("offers never refused for their rate")
}
