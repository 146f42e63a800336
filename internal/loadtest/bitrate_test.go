package loadtest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	rmedia "github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/pkg/client"
)

// bitrateTolerance is how far what a receiver measures may be from the
// bitrate stated for a layer: the clips are encoded at a fixed quantizer
// chosen in whole steps and spliced by the second (see
// rmedia.EncodeClip), which lands within about ±10%.
const bitrateTolerance = 0.15

// TestPublishedBitrate: what a receiver of a load-test publisher gets is
// the bitrate the load tester states, 150 kbps for one layer and 80, 200
// and 500 kbps for the simulcast layers, with several packets a frame on
// the larger layers, as a camera's video has. The rate is measured in
// media time (bytes over frames received, each 1/15 s), over whole loops
// of the clip, so a loaded machine cannot move it. On the flat test
// pattern the one layer measured about 41 kbps in one packet a frame.
func TestPublishedBitrate(t *testing.T) {
	ctx := context.Background()
	one, err := rmedia.EncodeClip(ctx, 320, 240, 15, 2, rmedia.DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := rmedia.EncodeSimulcastClips(ctx, 640, 480, 15, 2, rmedia.DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		clips []rmedia.Clip
		want  map[string]layerWant // by RID
	}{
		{"one layer", []rmedia.Clip{one}, map[string]layerWant{"": {kbps: 150, packetsPerFrame: 1.1}}},
		{"simulcast", sim, map[string]layerWant{
			"q": {kbps: 80, packetsPerFrame: 1},
			"h": {kbps: 200, packetsPerFrame: 1.5},
			"f": {kbps: 500, packetsPerFrame: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := receiveLayers(t, tt.clips, 2*len(tt.clips[0].Video))
			for rid, w := range tt.want {
				g := got[rid]
				t.Logf("layer %q: %.1f kbps (stated %.0f), %.2f packets a frame over %d frames", rid, g.kbps, w.kbps, g.packetsPerFrame, g.frames)
				if math.Abs(g.kbps-w.kbps) > w.kbps*bitrateTolerance {
					t.Errorf("layer %q: a receiver measured %.1f kbps, stated %.0f (±%.0f%%)", rid, g.kbps, w.kbps, bitrateTolerance*100)
				}
				if g.packetsPerFrame < w.packetsPerFrame {
					t.Errorf("layer %q: %.2f packets a frame, want at least %.1f", rid, g.packetsPerFrame, w.packetsPerFrame)
				}
			}
		})
	}
}

type layerWant struct {
	kbps, packetsPerFrame float64
	frames                int
}

// receiveLayers publishes clips as a load-test participant does to a
// PeerConnection on loopback and measures, per layer, the RTP payload
// received over frames whole frames (from the first frame that starts
// with a new timestamp): kbps at the clip's frame rate, and packets per
// frame.
func receiveLayers(t *testing.T, clips []rmedia.Clip, frames int) map[string]layerWant {
	t.Helper()
	p := &participant{}
	tracks := p.publisher("pub", clips, false, false)
	sender, receiver := loopbackPC(t), loopbackPC(t)
	if len(clips) > 1 {
		if _, err := client.AddSimulcastTrack(sender, append([]webrtc.TrackLocal{tracks[0].Track}, tracks[0].Layers...)...); err != nil {
			t.Fatal(err)
		}
	} else if _, err := sender.AddTrack(tracks[0].Track); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]layerWant{}
	done := map[string]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		_ = sender.Close()
		_ = receiver.Close()
		wg.Wait()
	}()
	fps := float64(clips[0].FPS)
	receiver.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		rid := remote.RID()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				bytes, packets, n int
				ts                uint32
				started           bool
			)
			for {
				pkt, _, err := remote.ReadRTP()
				if err != nil {
					return
				}
				if !started || pkt.Timestamp != ts {
					if started {
						n++
					}
					if n == frames {
						mu.Lock()
						got[rid] = layerWant{
							kbps:            float64(bytes) * 8 / (float64(n) / fps) / 1000,
							packetsPerFrame: float64(packets) / float64(n),
							frames:          n,
						}
						done[rid] = true
						mu.Unlock()
						return
					}
					started, ts = true, pkt.Timestamp
				}
				bytes += len(pkt.Payload)
				packets++
			}
		}()
	})
	wg.Add(1)
	go func() { defer wg.Done(); publish(p, clips, false, stop) }()
	connect(t, sender, receiver)
	wait(t, fmt.Sprintf("%d frames on each of %d layers", frames, len(clips)), &mu, func() bool { return len(done) == len(clips) })
	mu.Lock()
	defer mu.Unlock()
	return got
}
