package server

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// joinSharing joins with a camera and a screen.
func joinSharing(t *testing.T, c *client.Client, roomID, name string) *peer {
	t.Helper()
	screen, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "screen-"+name, "screen-"+name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := joinWith(t, c, roomID, name, client.JoinOptions{Tracks: []client.LocalTrack{{Track: screen, Kind: api.KindScreen}}})
	if err != nil {
		t.Fatal(err)
	}
	// The SFU sees a track at its first packet: keep the screen sending.
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				_ = screen.WriteSample(media.Sample{Data: []byte("screen|" + name), Duration: 100 * time.Millisecond})
			}
		}
	}()
	return p
}

// screenFrom matches the announcement of who's screen track.
func screenFrom(who *peer) func(client.Event) bool {
	return func(ev client.Event) bool {
		tp, ok := ev.(client.TrackPublished)
		return ok && tp.Track.Kind == api.KindScreen && tp.Track.ParticipantID == who.call.Me().ID
	}
}

func TestScreenShareLimit(t *testing.T) {
	c, stop := testServerWith(t, func(cfg *Config) { cfg.MaxScreenShares = 2 })
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{MaxParticipants: 6})
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := join(t, c, r.ID, "watcher", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann := joinSharing(t, c, r.ID, "ann")
	watcher.waitEvent(t, "ann's screen", screenFrom(ann))
	bo := joinSharing(t, c, r.ID, "bo")
	watcher.waitEvent(t, "bo's screen", screenFrom(bo))

	// A third screen is refused, and its sharer told who holds the slots.
	cy := joinSharing(t, c, r.ID, "cy")
	ev := cy.waitEvent(t, "screen_share_limit", func(ev client.Event) bool {
		e, ok := ev.(client.ServerError)
		return ok && e.Code == api.CodeScreenShareLimit
	})
	if got := ev.(client.ServerError).Sharers; !slices.Equal(got, []string{"ann", "bo"}) {
		t.Errorf("refused sharer was told %v are sharing, want [ann bo]", got)
	}
	// cy's camera still goes through.
	watcher.waitFrames(t, "cy")

	// When ann leaves, the slot is free for the next sharer.
	if err := ann.call.Leave(context.Background()); err != nil {
		t.Fatal(err)
	}
	dee := joinSharing(t, c, r.ID, "dee")
	watcher.waitEvent(t, "dee's screen after ann left", screenFrom(dee))
}
