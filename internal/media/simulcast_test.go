package media

import (
	"context"
	"errors"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/client"
)

func TestSimulcastLayers(t *testing.T) {
	tests := []struct {
		w, h, bps int
		want      []Layer
	}{
		{640, 480, 500_000, []Layer{{"q", 160, 120, 80_000}, {"h", 320, 240, 200_000}, {"f", 640, 480, 500_000}}},
		{1280, 720, 1_500_000, []Layer{{"q", 320, 180, 240_000}, {"h", 640, 360, 600_000}, {"f", 1280, 720, 1_500_000}}},
		// Sides stay even: 644/4 = 161, 484/2 = 242 (even already).
		{644, 484, 500_000, []Layer{{"q", 160, 120, 80_000}, {"h", 322, 242, 200_000}, {"f", 644, 484, 500_000}}},
		// Never below 16 pixels or 10 kbps.
		{48, 32, 20_000, []Layer{{"q", 16, 16, 10_000}, {"h", 24, 16, 10_000}, {"f", 48, 32, 20_000}}},
	}
	for _, tt := range tests {
		got := SimulcastLayers(tt.w, tt.h, tt.bps)
		if len(got) != len(tt.want) {
			t.Fatalf("SimulcastLayers(%d, %d, %d) = %v", tt.w, tt.h, tt.bps, got)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("SimulcastLayers(%d, %d, %d)[%d] = %+v, want %+v", tt.w, tt.h, tt.bps, i, got[i], tt.want[i])
			}
		}
	}
}

func TestSimulcastDefaults(t *testing.T) {
	tests := []struct {
		in        VideoOptions
		w, h, bps int
	}{
		{VideoOptions{}, 320, 240, 250_000},
		{VideoOptions{Simulcast: true}, 640, 480, 500_000},
		{VideoOptions{Simulcast: true, Width: 1280, Height: 720, BitrateBps: 1_000_000}, 1280, 720, 1_000_000},
	}
	for _, tt := range tests {
		o := tt.in
		if err := o.setDefaults(); err != nil {
			t.Fatal(err)
		}
		if o.Width != tt.w || o.Height != tt.h || o.BitrateBps != tt.bps {
			t.Errorf("%+v: defaults %dx%d at %d bps, want %dx%d at %d", tt.in, o.Width, o.Height, o.BitrateBps, tt.w, tt.h, tt.bps)
		}
	}
}

// layerSeen is what the receiver got of one simulcast layer.
type layerSeen struct {
	ssrc             webrtc.SSRC
	id               [2]string // track ID, stream ID
	frames           []Frame
	keyframes        int // decoded keyframes
	keyframeRequests int // the receiver's own (its decoder had no reference)
}

type simulcastSeen struct {
	mu     sync.Mutex
	layers map[string]*layerSeen
	errs   []error
}

func (s *simulcastSeen) snapshot(f func(map[string]*layerSeen)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.layers)
}

// publishSimulcast sends video's layers from one pion PeerConnection to
// another that registers the mid and rid extensions (RegisterCodecs) and
// decodes every layer that arrives.
func publishSimulcast(t *testing.T, video LocalTrack) (*simulcastSeen, *webrtc.PeerConnection) {
	t.Helper()
	sender, receiver := newLoopbackPC(t, RegisterCodecs), newLoopbackPC(t, RegisterCodecs)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		if err := sender.GracefulClose(); err != nil {
			t.Errorf("closing the sender: %v", err)
		}
		if err := receiver.GracefulClose(); err != nil {
			t.Errorf("closing the receiver: %v", err)
		}
		if err := video.Close(); err != nil {
			t.Errorf("closing the track: %v", err)
		}
		wg.Wait()
	})
	if _, err := client.AddSimulcastTrack(sender, append([]webrtc.TrackLocal{video.Track()}, video.Layers()...)...); err != nil {
		t.Fatal(err)
	}
	seen := &simulcastSeen{layers: map[string]*layerSeen{}}
	receiver.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		rid := remote.RID()
		seen.snapshot(func(l map[string]*layerSeen) {
			l[rid] = &layerSeen{ssrc: remote.SSRC(), id: [2]string{remote.ID(), remote.StreamID()}}
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := DecodeVideo(ctx, remote, func(f Frame) {
				seen.snapshot(func(l map[string]*layerSeen) {
					l[rid].frames = append(l[rid].frames, f)
					if f.Keyframe {
						l[rid].keyframes++
					}
				})
			}, func() {
				seen.snapshot(func(l map[string]*layerSeen) { l[rid].keyframeRequests++ })
				_ = receiver.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}})
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				seen.snapshot(func(map[string]*layerSeen) { seen.errs = append(seen.errs, err) })
			}
		}()
	})
	connect(t, sender, receiver)
	sdp := sender.LocalDescription().SDP
	for _, line := range []string{"a=rid:q send", "a=rid:h send", "a=rid:f send", "a=simulcast:send q;h;f"} {
		if !strings.Contains(sdp, line) {
			t.Errorf("the offer has no %q:\n%s", line, sdp)
		}
	}
	return seen, receiver
}

// TestLoopbackSimulcast: a simulcast test pattern arrives as three tracks
// with RIDs q, h and f, each decoding to its size with the sender's
// colours; a PLI on one layer brings a keyframe on that layer; and the
// Gate blacks out all three.
func TestLoopbackSimulcast(t *testing.T) {
	t.Parallel()
	label := color.RGBA{30, 90, 200, 255}
	video, err := OpenVideo(context.Background(), VideoOptions{
		Source: "testsrc", Simulcast: true, Label: label, TrackID: "cam", StreamID: "alice",
		KeyframeInterval: time.Hour, // only PLIs bring keyframes after the first
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(video.Layers()); n != 2 {
		t.Fatalf("%d layers after the first, want 2", n)
	}
	seen, receiver := publishSimulcast(t, video)

	want := map[string]image.Point{"q": {160, 120}, "h": {320, 240}, "f": {640, 480}}
	waitFor(t, "5 decoded frames on each of q, h and f", func() (ok bool) {
		seen.snapshot(func(l map[string]*layerSeen) {
			ok = len(l) == 3
			for rid := range want {
				ok = ok && l[rid] != nil && len(l[rid].frames) >= 5
			}
		})
		return ok
	})
	seen.snapshot(func(l map[string]*layerSeen) {
		for rid, size := range want {
			s := l[rid]
			if s.id != [2]string{"cam", "alice"} {
				t.Errorf("layer %s: track ID/stream ID %q, want cam/alice", rid, s.id)
			}
			f := s.frames[len(s.frames)-1]
			if f.Width != size.X || f.Height != size.Y {
				t.Errorf("layer %s is %dx%d, want %dx%d", rid, f.Width, f.Height, size.X, size.Y)
			}
			if err := CheckPattern(f.Image, label); err != nil {
				t.Errorf("layer %s: %v", rid, err)
			}
			if s.keyframes < 1 {
				t.Errorf("layer %s decoded without a keyframe", rid)
			}
		}
	})

	// A PLI on each layer in turn brings a keyframe on that layer.
	for _, rid := range []string{"h", "q", "f"} {
		var before map[string]layerSeen
		seen.snapshot(func(l map[string]*layerSeen) {
			before = map[string]layerSeen{}
			for r, s := range l {
				before[r] = *s
			}
		})
		if err := receiver.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(before[rid].ssrc)}}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a keyframe on layer "+rid+" after its PLI", func() (ok bool) {
			seen.snapshot(func(l map[string]*layerSeen) { ok = l[rid].keyframes > before[rid].keyframes })
			return ok
		})
		// The other layers made no new keyframe unless their own decoder asked.
		seen.snapshot(func(l map[string]*layerSeen) {
			for r, s := range l {
				if r != rid && s.keyframes > before[r].keyframes && s.keyframeRequests == before[r].keyframeRequests {
					t.Errorf("a PLI on layer %s brought a keyframe on layer %s too", rid, r)
				}
			}
		})
	}

	// Off, every layer turns black.
	video.Gate().SetEnabled(false)
	waitFor(t, "a black frame on every layer", func() (ok bool) {
		seen.snapshot(func(l map[string]*layerSeen) {
			ok = true
			for rid := range want {
				f := l[rid].frames[len(l[rid].frames)-1]
				c := averageRGB(f.Image, 0, 0, f.Width, f.Height)
				ok = ok && c[0] < 24 && c[1] < 24 && c[2] < 24
			}
		})
		return ok
	})

	seen.snapshot(func(map[string]*layerSeen) {
		for _, err := range seen.errs {
			t.Errorf("decoder: %v", err)
		}
	})
	// Closing the track while it is still bound neither hangs nor leaks.
	if err := video.Close(); err != nil {
		t.Errorf("closing a bound simulcast track: %v", err)
	}
}

// TestSimulcastPreview: the self-view reads the one capture, at full size.
func TestSimulcastPreview(t *testing.T) {
	t.Parallel()
	video, err := OpenVideo(context.Background(), VideoOptions{Source: "testsrc", Simulcast: true, Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	defer video.Close()
	stop := StartPreview(video)
	defer stop()
	waitFor(t, "a preview frame", func() bool { return video.Gate().Preview() != nil })
	if b := video.Gate().Preview().Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Errorf("preview is %v, want 320x240", b)
	}
}

func TestDownscale(t *testing.T) {
	rgba := Pattern(64, 48, 0, DefaultLabel)
	ycc := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = 200
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 100, 150
	}
	gray := image.NewGray(image.Rect(0, 0, 64, 48)) // neither: the general path
	for _, src := range []image.Image{rgba, ycc, gray} {
		got := downscale(src, 16, 12)
		if b := got.Bounds(); b != image.Rect(0, 0, 16, 12) {
			t.Errorf("%T scaled to %v, want 16x12", src, b)
		}
	}
	if err := CheckPattern(downscale(rgba, 32, 24), DefaultLabel); err != nil {
		t.Errorf("scaled pattern: %v", err)
	}
	if y, ok := downscale(ycc, 16, 12).(*image.YCbCr); !ok || y.Y[0] != 200 || y.Cb[0] != 100 || y.Cr[0] != 150 {
		t.Errorf("scaled YCbCr lost its values: %T", downscale(ycc, 16, 12))
	}
}

// TestCloseBeforeConnected: a connection closed before its media ever
// flowed (leaving right after joining) closes, for a simulcast track and a
// single one. Its writes were still waiting for DTLS; closing fails them
// all at once while pion unbinds, which mediadevices alone could wait on
// forever.
func TestCloseBeforeConnected(t *testing.T) {
	t.Parallel()
	for _, simulcast := range []bool{true, false} {
		video, err := OpenVideo(context.Background(), VideoOptions{Source: "testsrc", Simulcast: simulcast})
		if err != nil {
			t.Fatal(err)
		}
		sender, receiver := newLoopbackPC(t, RegisterCodecs), newLoopbackPC(t, RegisterCodecs)
		if _, err := client.AddSimulcastTrack(sender, append([]webrtc.TrackLocal{video.Track()}, video.Layers()...)...); simulcast && err != nil {
			t.Fatal(err)
		} else if !simulcast {
			if _, err := sender.AddTrack(video.Track()); err != nil {
				t.Fatal(err)
			}
		}
		// The answer binds the tracks; the receiver goes before ICE can connect.
		offer, err := sender.CreateOffer(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sender.SetLocalDescription(offer); err != nil {
			t.Fatal(err)
		}
		if err := receiver.SetRemoteDescription(offer); err != nil {
			t.Fatal(err)
		}
		answer, err := receiver.CreateAnswer(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := receiver.Close(); err != nil {
			t.Fatal(err)
		}
		if err := sender.SetRemoteDescription(answer); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // the encoders' first packets wait for DTLS
		if err := sender.Close(); err != nil {
			t.Errorf("simulcast %v: closing the connection: %v", simulcast, err)
		}
		if err := video.Close(); err != nil {
			t.Errorf("simulcast %v: closing the track: %v", simulcast, err)
		}
	}
}

// TestSimulcastSuspendedLayers: layers nobody receives go down to a frame
// every suspendedEvery while the others keep their rate, and a layer named
// again is back at full rate.
func TestSimulcastSuspendedLayers(t *testing.T) {
	video, err := OpenVideo(context.Background(), VideoOptions{Source: "testsrc", Simulcast: true, FPS: 15})
	if err != nil {
		t.Fatal(err)
	}
	seen, _ := publishSimulcast(t, video)
	count := func() (n map[string]int) {
		n = map[string]int{}
		seen.snapshot(func(l map[string]*layerSeen) {
			for rid, s := range l {
				n[rid] = len(s.frames)
			}
		})
		return n
	}
	waitFor(t, "frames on every layer", func() bool { n := count(); return n["q"] > 0 && n["h"] > 0 && n["f"] > 0 })
	// rates counts frames per layer while q, alone, gets 30 more.
	rates := func() map[string]int {
		start := count()
		waitFor(t, "30 more frames on q", func() bool { return count()["q"] >= start["q"]+30 })
		end := count()
		return map[string]int{"q": end["q"] - start["q"], "h": end["h"] - start["h"], "f": end["f"] - start["f"]}
	}
	video.SetActiveLayers([]string{"q"})
	rates() // the frames on their way
	off := rates()
	// 30 frames at 15 fps is 2 s: 4 frames a layer at 2 a second, 5 at most.
	if off["h"] > 8 || off["f"] > 8 {
		t.Errorf("suspended h and f still got %d and %d frames while q got %d", off["h"], off["f"], off["q"])
	}
	video.SetActiveLayers([]string{"q", "f"})
	rates()
	on := rates()
	if on["f"] <= 8 || on["h"] > 8 {
		t.Errorf("with q and f named, f got %d frames and h %d while q got %d; want f past the suspended rate and h still at it", on["f"], on["h"], on["q"])
	}
}
