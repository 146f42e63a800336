package negotiate

import (
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

// ufrag is the ice-ufrag of a description.
func ufrag(t *testing.T, sdp string) string {
	t.Helper()
	for _, l := range strings.Split(sdp, "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(l), "a=ice-ufrag:"); ok {
			return u
		}
	}
	t.Fatalf("no ice-ufrag in %q", sdp)
	return ""
}

// TestRestartNewCredentials: Restart's offer carries new ICE credentials,
// and so does the answer to it; a plain renegotiation keeps them. With an
// offer out, the restart waits for its answer and is the next offer.
func TestRestartNewCredentials(t *testing.T) {
	p := newPair(t, Config{})
	p.change(t, "first")
	p.offerer.Negotiate()
	first := ufrag(t, p.a.PendingLocalDescription().SDP)
	p.answer(t)
	answered := ufrag(t, p.b.CurrentLocalDescription().SDP)

	p.change(t, "second")
	p.offerer.Negotiate()
	if u := ufrag(t, p.a.PendingLocalDescription().SDP); u != first {
		t.Fatalf("a renegotiation changed the ufrag from %q to %q", first, u)
	}
	// Restart with that offer still out: nothing more is sent yet.
	p.offerer.Restart()
	if n := len(p.offers); n != 1 {
		t.Fatalf("%d offers out after a restart behind an offer, want 1", n)
	}
	p.answer(t)
	if n := len(p.offers); n != 1 {
		t.Fatalf("the restart was not offered once the offer out was answered (%d offers)", n)
	}
	restarted := ufrag(t, p.a.PendingLocalDescription().SDP)
	if restarted == first {
		t.Fatalf("the restart's offer kept the ufrag %q", first)
	}
	p.answer(t)
	if u := ufrag(t, p.b.CurrentLocalDescription().SDP); u == answered {
		t.Fatalf("the answer to a restart kept the ufrag %q", answered)
	}
	if st := p.a.SignalingState(); st != webrtc.SignalingStateStable {
		t.Fatalf("signalling state %s after the restart was answered", st)
	}
	// The one after is plain again.
	p.change(t, "third")
	p.offerer.Negotiate()
	if u := ufrag(t, p.a.PendingLocalDescription().SDP); u != restarted {
		t.Fatalf("a renegotiation after the restart changed the ufrag again (%q to %q)", restarted, u)
	}
}
