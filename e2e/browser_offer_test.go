//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestBrowserSharesTheScreenAgainAndAgain: the server takes at most
// api.MaxOfferMediaSections sections in a publish offer. A page that
// left a section behind for each screen it stopped would pass it after
// a few shares; stopping the screen's transceiver lets Chromium reuse
// its section, so the tenth share reaches the others like the first.
func TestBrowserSharesTheScreenAgainAndAgain(t *testing.T) {
	s := startServerWith(t, "--log-level", "debug")
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Shares"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "testsrc")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := joinedBrowser(t, r.Link, "Web")
	const shares = api.MaxOfferMediaSections + 2
	for i := 1; i <= shares; i++ {
		b.waitJS("the share button", shareButtonIs+`('Share screen')`)
		b.click("#share")
		b.waitJS("the button turned to Stop sharing", shareButtonIs+`('Stop sharing')`)
		goP.waitEvents(t, i, map[string]any{"type": "track", "kind": "screen", "name": "Web"})
		b.click("#share")
		time.Sleep(3 * time.Second)
		t.Log(b.eval(`JSON.stringify(window.roomsDebug.log())`))
		goP.waitEvents(t, i, map[string]any{"type": "track_ended", "kind": "screen", "name": "Web"})
	}
	b.waitJS("the share button", shareButtonIs+`('Share screen')`)
	b.click("#share")
	goP.waitEvents(t, shares+1, map[string]any{"type": "first_frame", "kind": "screen", "name": "Web"})
}
