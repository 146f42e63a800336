package tui

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// viewSync tells the server which video this terminal does not show (tiles
// on other pages, screens not in the spotlight), so it stops sending them:
// a 50-person call on a 5x5 page receives 25 videos, not 49.
type viewSync struct {
	mu   sync.Mutex
	keys map[string]string // video and screen track id → its key in Frames
}

func newViewSync() *viewSync { return &viewSync{keys: map[string]string{}} }

// event notes the tracks that come and go.
func (v *viewSync) event(ev client.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch e := ev.(type) {
	case client.RemoteTrack:
		switch e.Info.Kind {
		case api.KindVideo:
			v.keys[e.Info.ID] = e.Info.ParticipantID
		case api.KindScreen:
			v.keys[e.Info.ID] = screenKey(e.Info.ParticipantID)
		}
	case client.TrackUnpublished:
		delete(v.keys, e.ID)
	case client.Joined:
		clear(v.keys) // a reconnect: the tracks arrive again
	}
}

// hidden lists the tracks whose tiles are not on screen, sorted.
func (v *viewSync) hidden(frames *Frames) []string {
	return v.view(frames).Hidden
}

// view is what the terminal shows: the tracks whose tiles are not on
// screen, sorted, and how large (pixels) it shows the rest.
func (v *viewSync) view(frames *Frames) api.View {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out api.View
	for id, key := range v.keys {
		if !frames.Shown(key) {
			out.Hidden = append(out.Hidden, id)
		} else if sz := frames.Size(key); sz.X > 0 && sz.Y > 0 {
			if out.Sizes == nil {
				out.Sizes = map[string]api.Size{}
			}
			out.Sizes[id] = api.Size{W: sz.X, H: sz.Y}
		}
	}
	slices.Sort(out.Hidden)
	return out
}

// run sends the view whenever it changes, checking a few times a second,
// until ctx ends.
func (v *viewSync) run(ctx context.Context, call *client.Call, frames *Frames) {
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	var last api.View
	sent := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if cur := v.view(frames); !sent || !slices.Equal(cur.Hidden, last.Hidden) || !maps.Equal(cur.Sizes, last.Sizes) {
			if call.SetView(cur) == nil {
				last, sent = cur, true
			}
		}
	}
}
