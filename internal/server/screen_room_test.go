package server

import (
	"context"
	"slices"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// refusedScreen waits for p's screen to be refused and returns who the
// server said is sharing.
func refusedScreen(t *testing.T, p *peer) []string {
	t.Helper()
	ev := p.waitEvent(t, "screen_share_limit", func(ev client.Event) bool {
		e, ok := ev.(client.ServerError)
		return ok && e.Code == api.CodeScreenShareLimit
	})
	return ev.(client.ServerError).Sharers
}

// TestRoomScreenShareLimit: the server allows 10 screens at once, the room
// only 1. A host's edit during the call counts from the next share, and
// those already sharing keep their screens.
func TestRoomScreenShareLimit(t *testing.T) {
	c, stop := testServerWith(t, func(cfg *Config) { cfg.MaxScreenShares = 10 })
	defer stop()
	ctx := context.Background()
	r, err := c.CreateRoom(ctx, api.CreateRoomRequest{MaxParticipants: 8, MaxScreenShares: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxScreenShares != 1 {
		t.Fatalf("room max_screen_shares = %d, want 1", r.MaxScreenShares)
	}
	watcher, err := join(t, c, r.ID, "watcher", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann := joinSharing(t, c, r.ID, "ann")
	watcher.waitEvent(t, "ann's screen", screenFrom(ann))

	// The room's cap of 1 holds though the server's is 10.
	bo := joinSharing(t, c, r.ID, "bo")
	if got := refusedScreen(t, bo); !slices.Equal(got, []string{"ann"}) {
		t.Errorf("refused sharer was told %v are sharing, want [ann]", got)
	}
	watcher.waitFrames(t, "bo") // bo's camera still goes through

	setCap := func(n int) {
		t.Helper()
		got, err := c.UpdateRoom(ctx, r.ID, r.HostKey, api.UpdateRoomRequest{MaxScreenShares: &n})
		if err != nil {
			t.Fatal(err)
		}
		if got.MaxScreenShares != n {
			t.Fatalf("after PATCH max_screen_shares = %d, want %d", got.MaxScreenShares, n)
		}
	}

	// Raised during the call: the next sharer gets the new slot.
	setCap(2)
	cy := joinSharing(t, c, r.ID, "cy")
	watcher.waitEvent(t, "cy's screen after the cap was raised", screenFrom(cy))

	// Lowered during the call: ann and cy go on sharing, so both still
	// hold slots, and the next sharer is refused.
	setCap(1)
	dee := joinSharing(t, c, r.ID, "dee")
	if got := refusedScreen(t, dee); !slices.Equal(got, []string{"ann", "cy"}) {
		t.Errorf("after lowering the cap, the refused sharer was told %v are sharing, want [ann cy]", got)
	}

	// Once cy goes, one screen is left: under the old cap of 2 there would
	// be room for another, under the new cap of 1 there is not.
	cyID := cy.call.Me().ID
	if err := cy.call.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	watcher.waitEvent(t, "cy leaving", func(ev client.Event) bool {
		l, ok := ev.(client.ParticipantLeft)
		return ok && l.ID == cyID
	})
	eve := joinSharing(t, c, r.ID, "eve")
	if got := refusedScreen(t, eve); !slices.Equal(got, []string{"ann"}) {
		t.Errorf("after cy left, the refused sharer was told %v are sharing, want [ann]", got)
	}
}
