package tui

import (
	"context"
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
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for id, key := range v.keys {
		if !frames.Shown(key) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// run sends the view whenever it changes, checking a few times a second,
// until ctx ends.
func (v *viewSync) run(ctx context.Context, call *client.Call, frames *Frames) {
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	var last []string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if h := v.hidden(frames); !slices.Equal(h, last) {
			if call.SetHidden(h) == nil {
				last = h
			}
		}
	}
}
