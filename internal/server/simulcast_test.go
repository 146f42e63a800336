package server

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestSimulcastLayersFollowTheView: over the real signalling, a Go
// publisher sends three layers; a watcher that draws it small makes the
// server tell the publisher only q is received (OnLayers), and drawing it
// large brings f back; the watcher's packets carry the layer it asked for.
func TestSimulcastLayersFollowTheView(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// The publisher: one-packet VP8 frames, a keyframe (with its size)
	// every second and on a layer's PLI; the last payload byte names the
	// layer. Layers the server says nobody receives are not sent.
	sizes := []struct {
		rid  string
		w, h int
	}{{"q", 160, 120}, {"h", 320, 240}, {"f", 640, 480}}
	var layers []*webrtc.TrackLocalStaticRTP
	for _, s := range sizes {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "cam", "pub", webrtc.WithRTPStreamID(s.rid))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, tr)
	}
	var mu sync.Mutex
	active := []string{"q", "h", "f"}
	var told [][]string
	keyNow := make([]bool, len(sizes))
	video := client.LocalTrack{Track: layers[0], Layers: []webrtc.TrackLocal{layers[1], layers[2]}, Kind: api.KindVideo,
		OnLayerKeyframeRequest: func(rid string) {
			mu.Lock()
			defer mu.Unlock()
			for i, s := range sizes {
				if s.rid == rid {
					keyNow[i] = true
				}
			}
		},
		OnLayers: func(a []string) {
			mu.Lock()
			defer mu.Unlock()
			active = a
			told = append(told, a)
		}}
	pub, err := c.Join(ctx, r.ID, client.JoinOptions{Name: "pub", Key: newKey(t), Tracks: []client.LocalTrack{video}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	go func() {
		for range pub.Events() {
		}
	}()
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			mu.Lock()
			for i, s := range sizes {
				if !slices.Contains(active, s.rid) {
					continue
				}
				key := keyNow[i] || n%20 == 0
				keyNow[i] = false
				p := []byte{0x10, 0x01, 0, 0, 0x9d, 0x01, 0x2a, byte(s.w), byte(s.w >> 8), byte(s.h), byte(s.h >> 8), byte(i)}
				if key {
					p[1] = 0
				}
				_ = layers[i].WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(n), Timestamp: uint32(n) * 4500, Marker: true}, Payload: p})
			}
			mu.Unlock()
		}
	}()

	watcher, err := c.Join(ctx, r.ID, client.JoinOptions{Name: "watcher", Key: newKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	var lastLayer byte = 255
	var lmu sync.Mutex
	trackID := make(chan string, 1)
	go func() {
		for ev := range watcher.Events() {
			if e, ok := ev.(client.RemoteTrack); ok && e.Info.Kind == api.KindVideo {
				trackID <- e.Info.ID
				go func() {
					for {
						pkt, _, err := e.Track.ReadRTP()
						if err != nil {
							return
						}
						if len(pkt.Payload) == 12 {
							lmu.Lock()
							lastLayer = pkt.Payload[11]
							lmu.Unlock()
						}
					}
				}()
			}
		}
	}()
	var id string
	select {
	case id = <-trackID:
	case <-ctx.Done():
		t.Fatal("the watcher never got the publisher's video")
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				mu.Lock()
				defer mu.Unlock()
				t.Fatalf("%s: not in time; the publisher was told %v", what, told)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	layerIs := func(i byte) func() bool {
		return func() bool { lmu.Lock(); defer lmu.Unlock(); return lastLayer == i }
	}
	activeIs := func(want ...string) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return slices.Equal(active, want) }
	}

	if err := watcher.SetView(api.View{Sizes: map[string]api.Size{id: {W: 64, H: 48}}}); err != nil {
		t.Fatal(err)
	}
	waitUntil("the small tile gets q", layerIs(0))
	waitUntil("only q is received, says the server", activeIs("q"))
	if err := watcher.SetView(api.View{Sizes: map[string]api.Size{id: {W: 1280, H: 720}}}); err != nil {
		t.Fatal(err)
	}
	waitUntil("f is wanted again", activeIs("q", "f"))
	waitUntil("the large tile gets f", layerIs(2))
}
