package server

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestHiddenVideoIsPaused: video a participant says it does not show stops
// coming, audio and the rest carry on, and it comes back when shown again.
func TestHiddenVideoIsPaused(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	watcher, err := c.Join(ctx, r.ID, client.JoinOptions{Name: "watcher", Key: newKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	var mu sync.Mutex
	counts := map[string]*atomic.Int64{} // packets by sender's name
	trackOf := map[string]string{}       // video track id by sender's name
	names := map[string]string{}
	got := make(chan struct{}, 16)
	go func() {
		for ev := range watcher.Events() {
			switch e := ev.(type) {
			case client.ParticipantJoined:
				mu.Lock()
				names[e.ID] = e.Name
				mu.Unlock()
			case client.RemoteTrack:
				mu.Lock()
				name := names[e.Info.ParticipantID]
				n := &atomic.Int64{}
				counts[name] = n
				trackOf[name] = e.Info.ID
				mu.Unlock()
				got <- struct{}{}
				go func() {
					for {
						if _, _, err := e.Track.ReadRTP(); err != nil {
							return
						}
						n.Add(1)
					}
				}()
			}
		}
	}()
	for _, name := range []string{"ann", "bo"} {
		if _, err := join(t, c, r.ID, name, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		select {
		case <-got:
		case <-time.After(30 * time.Second):
			t.Fatal("the watcher did not get both cameras")
		}
	}
	mu.Lock()
	ann, bo, annTrack := counts["ann"], counts["bo"], trackOf["ann"]
	mu.Unlock()
	// grows reports whether n grows over a little while.
	grows := func(n *atomic.Int64) bool {
		before := n.Load()
		time.Sleep(700 * time.Millisecond)
		return n.Load() > before
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("no %s in 30 s", what)
			}
		}
	}
	waitFor("packets from both", func() bool { return grows(ann) && grows(bo) })

	if err := watcher.SetHidden([]string{annTrack}); err != nil {
		t.Fatal(err)
	}
	waitFor("pause of ann's video", func() bool { return !grows(ann) })
	if !grows(bo) {
		t.Error("hiding ann's video stopped bo's too")
	}
	if err := watcher.SetHidden(nil); err != nil {
		t.Fatal(err)
	}
	waitFor("ann's video again", func() bool { return grows(ann) })

	// Too long a list is refused, not applied.
	long := make([]string, api.MaxViewTracks+1)
	if err := watcher.SetHidden(long); err == nil {
		t.Error("the client sent a view over the limit")
	}
}
