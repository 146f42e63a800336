//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/pkg/api"
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

// The page whose PeerConnections are told the server's media port is one
// nothing listens on (its candidates rewritten before pion's answer is
// applied, as when a network drops everything to the media port) says
// media could not connect, in a banner, instead of a silent call.
func TestBrowserShowsMediaFailed(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 800, 600)
	const deadPort = `(() => {
		const dead = (c) => c.replace(/^((?:a=)?candidate:\S+ \d+ \S+ \d+ \S+ )\d+/gm, '$19');
		const srd = RTCPeerConnection.prototype.setRemoteDescription;
		RTCPeerConnection.prototype.setRemoteDescription = function (d) {
			return srd.call(this, d && d.sdp ? { type: d.type, sdp: dead(d.sdp) } : d);
		};
		const aic = RTCPeerConnection.prototype.addIceCandidate;
		RTCPeerConnection.prototype.addIceCandidate = function (c) {
			return aic.call(this, c && c.candidate ? { ...c, candidate: dead(c.candidate) } : c);
		};
	})()`
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: deadPort}); err != nil {
		t.Fatal(err)
	}
	b.open(r.Link + "?autojoin=1&name=Blocked")
	b.waitJS("the call", `window.roomsDebug.state().phase === 'joined'`)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if b.eval(`(() => { const el = document.getElementById('media-failed'); return String(!!el && !el.hidden && el.textContent.includes('Media could not connect: tried UDP') && el.textContent.includes(' to 127.0.0.1:')) })()`) == "true" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("no media failure shown; the page's log: %s", b.eval(`JSON.stringify(window.roomsDebug.log().slice(-20))`))
}
