//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestBrowserSharesTheScreenAgainAndAgain: the server takes at most
// api.MaxOfferMediaSections live sections in a publish offer, and
// Chromium leaves an inactive section behind for each screen it stops:
// the tenth share (twelve sections) reaches the others like the first.
func TestBrowserSharesTheScreenAgainAndAgain(t *testing.T) {
	s := startServer(t)
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
		goP.waitEvents(t, i, map[string]any{"type": "first_frame", "kind": "screen", "name": "Web"})
		b.click("#share")
		goP.waitEvents(t, i, map[string]any{"type": "track_ended", "kind": "screen", "name": "Web"})
	}
	b.waitJS("the share button", shareButtonIs+`('Share screen')`)
	b.click("#share")
	goP.waitEvents(t, shares+1, map[string]any{"type": "first_frame", "kind": "screen", "name": "Web"})
}
