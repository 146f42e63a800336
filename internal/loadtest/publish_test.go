package loadtest

import (
	"context"
	"errors"
	"image/color"
	"sync"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	rmedia "github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/rtctest"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestPublishSimulcast: a load-test publisher's three layers arrive as
// tracks q, h and f that decode to the three clip sizes, and a PLI on one
// layer restarts that layer's clip (its frame counter jumps back to 0
// mid-clip) and no other.
func TestPublishSimulcast(t *testing.T) {
	ctx := context.Background()
	label := color.RGBA{200, 40, 160, 255}
	clips, err := rmedia.EncodeSimulcastClips(ctx, 640, 480, 15, 2, label)
	if err != nil {
		t.Fatal(err)
	}
	p := &participant{}
	tracks := p.publisher("pub", clips, false, false)
	if len(tracks) != 1 || len(tracks[0].Layers) != 2 {
		t.Fatalf("publisher tracks %+v, want one video track with two more layers", tracks)
	}
	video := tracks[0]

	sender, receiver := loopbackPC(t), loopbackPC(t)
	s, err := client.AddSimulcastTrack(sender, append([]webrtc.TrackLocal{video.Track}, video.Layers...)...)
	if err != nil {
		t.Fatal(err)
	}
	type layer struct {
		w, h     int
		counters []uint32 // decoded frame counters, in order
	}
	var mu sync.Mutex
	seen := map[string]*layer{}
	ssrcs := map[string]webrtc.SSRC{}
	dctx, cancel := context.WithCancel(ctx)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		cancel()
		_ = sender.Close()
		_ = receiver.Close()
		wg.Wait()
	}()
	receiver.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		rid := remote.RID()
		mu.Lock()
		seen[rid], ssrcs[rid] = &layer{}, remote.SSRC()
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := rmedia.DecodeVideo(dctx, remote, func(f rmedia.Frame) {
				n, ok := rmedia.ReadCounter(f.Image)
				mu.Lock()
				defer mu.Unlock()
				seen[rid].w, seen[rid].h = f.Width, f.Height
				if ok {
					seen[rid].counters = append(seen[rid].counters, n)
				}
			}, nil)
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("decoding layer %s: %v", rid, err)
			}
		}()
	})
	// What Call does for a LocalTrack with OnLayerKeyframeRequest.
	for _, rid := range []string{"q", "h", "f"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				pkts, _, err := s.ReadSimulcastRTCP(rid)
				if err != nil {
					return
				}
				for _, pkt := range pkts {
					if _, ok := pkt.(*rtcp.PictureLossIndication); ok {
						video.OnLayerKeyframeRequest(rid)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); publish(p, clips, false, stop) }()
	connect(t, sender, receiver)

	want := map[string][2]int{"q": {160, 120}, "h": {320, 240}, "f": {640, 480}}
	wait(t, "frames on the three layers", &mu, func() bool {
		for rid := range want {
			if seen[rid] == nil || seen[rid].w == 0 || len(seen[rid].counters) < 2 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	for rid, size := range want {
		if got := [2]int{seen[rid].w, seen[rid].h}; got != size {
			t.Errorf("layer %s is %dx%d, want %dx%d", rid, got[0], got[1], size[0], size[1])
		}
	}
	mu.Unlock()

	// Ask h for a keyframe mid-clip (frames 2..20 of 30), far from its
	// own loop back to frame 0.
	n := len(clips[1].Video)
	wait(t, "layer h in the middle of its clip", &mu, func() bool {
		c := seen["h"].counters
		last := c[len(c)-1]
		return last >= 2 && last <= 20
	})
	mu.Lock()
	from := map[string]int{}
	for rid, l := range seen {
		from[rid] = len(l.counters)
	}
	h := ssrcs["h"]
	mu.Unlock()
	if err := receiver.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(h)}}); err != nil {
		t.Fatal(err)
	}
	restarted := func(c []uint32) bool {
		for i := 1; i < len(c); i++ {
			if c[i] == 0 && c[i-1] != uint32(n-1) {
				return true
			}
		}
		return false
	}
	wait(t, "layer h's clip to restart", &mu, func() bool { return restarted(seen["h"].counters[from["h"]-1:]) })
	mu.Lock()
	defer mu.Unlock()
	for _, rid := range []string{"q", "f"} {
		if restarted(seen[rid].counters[from[rid]-1:]) {
			t.Errorf("layer %s restarted too: %v", rid, seen[rid].counters[from[rid]-1:])
		}
	}
}

// loopbackPC is a PeerConnection with the client's codecs and the
// simulcast extensions, finding its ICE pair on 127.0.0.1.
func loopbackPC(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	return rtctest.NewPC(t, rmedia.RegisterCodecs)
}

func connect(t *testing.T, a, b *webrtc.PeerConnection) {
	t.Helper()
	rtctest.Connect(t, a, b)
}

// wait: see rtctest.Wait.
func wait(t *testing.T, what string, mu *sync.Mutex, cond func() bool) {
	t.Helper()
	rtctest.Wait(t, what, mu, cond)
}
