package sfu

import (
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// subOffered waits until the client has answered n subscribe offers, the
// last with an ufrag other than not, and returns that ufrag.
func subOffered(t *testing.T, c *testClient, n int, not string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c.recMu.Lock()
		got := c.subOffers
		c.recMu.Unlock()
		if d := c.sub.CurrentRemoteDescription(); got >= n && d != nil && c.sub.SignalingState() == webrtc.SignalingStateStable && iceUfrag(d.SDP) != not {
			return iceUfrag(d.SDP)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the router did not send subscribe offer %d with an ufrag other than %q", n, not)
	return ""
}

// TestRestartICE: restart_ice makes the router offer the subscribe
// connection with new ICE credentials; only the subscribe connection is
// taken; restarts are charged to the offer budget, so a flood of them is
// refused (rate_limited) rather than making an offer each.
func TestRestartICE(t *testing.T) {
	r := newTestSFU(t).NewRouter("restart", nopEvents{})
	t.Cleanup(r.Close)
	c := newTestClient(t, r, "p1", clientAPI(t))
	p := c.peer
	// A section to offer, as a track from someone else would add.
	if _, err := p.sub.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}

	if err := p.RestartICE(api.RestartICE{PC: api.PCPublish}); err == nil {
		t.Fatal("a restart of the publish connection was taken")
	}
	p.negotiate()
	first := subOffered(t, c, 1, "")
	if err := p.RestartICE(api.RestartICE{PC: api.PCSubscribe}); err != nil {
		t.Fatal(err)
	}
	if second := subOffered(t, c, 2, first); second == "" {
		t.Fatal("the restart's offer has no ufrag")
	}

	var refusal *Refusal
	for i := 0; i < 10*api.OfferCostBurst && refusal == nil; i++ {
		if err := p.RestartICE(api.RestartICE{PC: api.PCSubscribe}); err != nil && !errors.As(err, &refusal) {
			t.Fatal(err)
		}
	}
	if refusal == nil || refusal.Code != api.CodeRateLimited || refusal.Fatal {
		t.Fatalf("a flood of restarts was not refused as rate_limited (not fatal): %+v", refusal)
	}
}
