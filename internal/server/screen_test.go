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

// share starts sharing a screen mid-call, as the `s` key does.
func (p *peer) share(t *testing.T) string {
	t.Helper()
	id := "screen-" + p.name
	p.publishScreen(t, id)
	return id
}

// TestScreenShareStopAndRetry: sharing starts and stops mid-call; a sharer
// refused for want of a slot gets it once the sharer before stops.
func TestScreenShareStopAndRetry(t *testing.T) {
	c, stop := testServerWith(t, func(cfg *Config) { cfg.MaxScreenShares = 1 })
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ps []*peer
	for _, name := range []string{"watcher", "ann", "bo"} {
		p, err := join(t, c, r.ID, name, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	watcher, ann, bo := ps[0], ps[1], ps[2]
	annScreen := ann.share(t)
	watcher.waitEvent(t, "ann's screen", screenFrom(ann))
	watcher.waitFrames(t, "screen-ann")

	boScreen := bo.share(t)
	ev := bo.waitEvent(t, "screen_share_limit", func(ev client.Event) bool {
		e, ok := ev.(client.ServerError)
		return ok && e.Code == api.CodeScreenShareLimit
	})
	if got := ev.(client.ServerError).Sharers; !slices.Equal(got, []string{"ann"}) {
		t.Errorf("bo was told %v are sharing, want [ann]", got)
	}
	if err := bo.call.Unpublish(boScreen); err != nil {
		t.Fatal(err)
	}
	if err := bo.call.Unpublish(boScreen); err == nil {
		t.Error("unpublishing a track twice was not an error")
	}

	// ann stops: everyone sees the screen end, and the slot is free.
	if err := ann.call.Unpublish(annScreen); err != nil {
		t.Fatal(err)
	}
	watcher.waitEvent(t, "ann's screen ending", func(ev client.Event) bool {
		tu, ok := ev.(client.TrackUnpublished)
		return ok && tu.Kind == api.KindScreen && tu.ParticipantID == ann.call.Me().ID
	})
	watcher.drain()
	bo.share(t)
	watcher.waitEvent(t, "bo's screen on the second try", screenFrom(bo))
	watcher.waitFrames(t, "screen-bo")
}

// publishScreen publishes one more screen track with its own id.
func (p *peer) publishScreen(t *testing.T, id string) {
	t.Helper()
	tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, id, "stream-"+p.name)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.call.Publish(client.LocalTrack{Track: tr, Kind: api.KindScreen}); err != nil {
		t.Fatal(err)
	}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				_ = tr.WriteSample(media.Sample{Data: []byte(id + "|"), Duration: 100 * time.Millisecond})
			}
		}
	}()
}

// TestTwoScreensHoldOneSlot: a participant's slot is free only when all of
// its screens have ended, not when the first does.
func TestTwoScreensHoldOneSlot(t *testing.T) {
	c, stop := testServerWith(t, func(cfg *Config) { cfg.MaxScreenShares = 1 })
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ps []*peer
	for _, name := range []string{"watcher", "ann", "bo"} {
		p, err := join(t, c, r.ID, name, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	watcher, ann, bo := ps[0], ps[1], ps[2]
	ann.publishScreen(t, "screen-a")
	watcher.waitFrames(t, "screen-a")
	ann.publishScreen(t, "screen-b")
	watcher.waitFrames(t, "screen-b")
	if err := ann.call.Unpublish("screen-a"); err != nil {
		t.Fatal(err)
	}
	watcher.waitEvent(t, "the end of one of ann's screens", func(ev client.Event) bool {
		tu, ok := ev.(client.TrackUnpublished)
		return ok && tu.Kind == api.KindScreen
	})
	bo.publishScreen(t, "screen-bo")
	bo.waitEvent(t, "screen_share_limit while ann still shares one", func(ev client.Event) bool {
		e, ok := ev.(client.ServerError)
		return ok && e.Code == api.CodeScreenShareLimit
	})
}
