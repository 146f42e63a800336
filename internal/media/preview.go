package media

import (
	"context"
	"sync"

	"github.com/pion/mediadevices"
)

// StartPreview reads a local track's source without encoding it, so its
// Gate shows frames and levels before the call (the pre-join self-view and
// mic meter). stop ends it and waits; it is safe to keep encoding after.
func StartPreview(t LocalTrack) (stop func()) {
	src, ok := t.(interface{ source() mediadevices.Track })
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var read func() (func(), error)
		switch md := src.source().(type) {
		case *mediadevices.VideoTrack:
			r := md.NewReader(false)
			read = func() (func(), error) { _, release, err := r.Read(); return release, err }
		case *mediadevices.AudioTrack:
			r := md.NewReader(false)
			read = func() (func(), error) { _, release, err := r.Read(); return release, err }
		default:
			return
		}
		// Each read waits for the source's next frame or chunk, so the
		// loop ends within one of them after stop.
		for ctx.Err() == nil {
			release, err := read()
			if err != nil {
				return
			}
			release()
		}
	}()
	return func() {
		cancel()
		wg.Wait()
	}
}
