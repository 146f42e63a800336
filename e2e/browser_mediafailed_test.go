//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
)

// The page reads what ICE tried from the server's description and says
// what a failure means, as pkg/client's MediaFailed does.
func TestBrowserSaysWhyMediaFailed(t *testing.T) {
	s := startServer(t)
	b := newBrowser(t, 800, 600)
	b.open(s.url + "/")
	out := b.eval(`(async () => {
		const { triedTransports, mediaFailedReason } = await import('/static/call.js');
		const udp = { remoteDescription: { sdp: 'v=0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 7882 typ host\r\na=candidate:1 1 udp 2130706431 192.0.2.1 7882 typ host\r\na=candidate:2 1 udp 2130706431 2001:db8::1 7882 typ host\r\n' } };
		const tcp = { remoteDescription: { sdp: 'a=candidate:3 1 tcp 1671430143 192.0.2.1 7882 typ host tcptype passive\r\n' } };
		const none = { remoteDescription: null };
		return JSON.stringify([udp, tcp, none].map((pc) => { const t = triedTransports(pc); return { tried: t, reason: mediaFailedReason(t) }; }));
	})()`)
	var got []struct {
		Tried  []string
		Reason string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 3 {
		t.Fatalf("the page said %q: %v", out, err)
	}
	want := []struct {
		tried  []string
		reason string
	}{
		{[]string{"udp 192.0.2.1:7882", "udp [2001:db8::1]:7882"}, "Media could not connect: tried UDP to 192.0.2.1:7882, [2001:db8::1]:7882; UDP may be blocked on this network. Try another network, or ask the server's operator for TCP or TURN."},
		{[]string{"tcp 192.0.2.1:7882"}, "Media could not connect: tried tcp 192.0.2.1:7882; this network may block them. Try another network."},
		{nil, "Media could not connect: the server offered no address to reach."},
	}
	for i, w := range want {
		if len(got[i].Tried) != len(w.tried) || got[i].Reason != w.reason {
			t.Errorf("case %d: the page said %+v, want tried %q and %q", i, got[i], w.tried, w.reason)
			continue
		}
		for j := range w.tried {
			if got[i].Tried[j] != w.tried[j] {
				t.Errorf("case %d: tried %q, want %q", i, got[i].Tried, w.tried)
			}
		}
	}
}
