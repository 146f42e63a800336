package media

import (
	"context"
	"errors"
	"image/color"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/rtctest"
)

// waitLimit is generous: -race and cgo on two cores are slow, and a wait
// that fails should fail for a reason, not for a busy machine.
const waitLimit = 30 * time.Second

// newLoopbackPC and connect: see rtctest.
func newLoopbackPC(t *testing.T, register func(*webrtc.MediaEngine) error) *webrtc.PeerConnection {
	t.Helper()
	return rtctest.NewPC(t, register)
}

func connect(t *testing.T, a, b *webrtc.PeerConnection) {
	t.Helper()
	rtctest.Connect(t, a, b)
}

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", waitLimit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tapReader lets a test watch the packets a decoder reads; embedding keeps
// TrackRemote's SetReadDeadline, so ctx still interrupts the decoder.
type tapReader struct {
	*webrtc.TrackRemote
	onPacket func(*rtp.Packet)
}

func (r tapReader) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	p, a, err := r.TrackRemote.ReadRTP()
	if err == nil {
		r.onPacket(p)
	}
	return p, a, err
}

// received is what the answering side saw, shared with pion's goroutines.
type received struct {
	mu               sync.Mutex
	frames           []Frame
	keyframePackets  int
	keyframeRequests int
	pcm              []int16
	channels         int
	videoID          [2]string // track ID, stream ID
	videoSSRC        webrtc.SSRC
	decodeErrs       []error
}

func (r *received) snapshot(f func(r *received)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// publish connects an offerer sending tracks to an answerer that decodes
// whatever arrives, and returns what the answerer receives. Everything is
// closed, and every goroutine joined, at the end of the test.
func publish(t *testing.T, register func(*webrtc.MediaEngine) error, tracks ...LocalTrack) (*received, *webrtc.PeerConnection) {
	t.Helper()
	sender, receiver := newLoopbackPC(t, register), newLoopbackPC(t, register)
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
		for _, tr := range tracks {
			if err := tr.Close(); err != nil {
				t.Errorf("closing a %s track: %v", tr.Kind(), err)
			}
		}
		wg.Wait()
	})

	for _, tr := range tracks {
		if _, err := sender.AddTrack(tr.Track()); err != nil {
			t.Fatal(err)
		}
	}
	got := &received{}
	receiver.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch remote.Kind() {
			case webrtc.RTPCodecTypeVideo:
				got.snapshot(func(r *received) { r.videoID, r.videoSSRC = [2]string{remote.ID(), remote.StreamID()}, remote.SSRC() })
				tap := tapReader{remote, func(p *rtp.Packet) {
					if vp8KeyframeStart(p) {
						got.snapshot(func(r *received) { r.keyframePackets++ })
					}
				}}
				err = DecodeVideo(ctx, tap, func(f Frame) {
					got.snapshot(func(r *received) { r.frames = append(r.frames, f) })
				}, func() {
					got.snapshot(func(r *received) { r.keyframeRequests++ })
					_ = receiver.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}})
				})
			case webrtc.RTPCodecTypeAudio:
				err = DecodeAudio(ctx, remote, func(pcm []int16, rate, channels int) {
					if rate != 48000 {
						t.Errorf("audio at %d Hz, want 48000", rate)
					}
					got.snapshot(func(r *received) { r.pcm, r.channels = append(r.pcm, pcm...), channels })
				})
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				got.snapshot(func(r *received) { r.decodeErrs = append(r.decodeErrs, err) })
			}
		}()
	})
	connect(t, sender, receiver)
	return got, receiver
}

// TestLoopbackCall: a test-pattern video and a tone, published over real
// WebRTC on loopback, decode on the other side with the sender's label and
// the tone's pitch; a PLI from the receiver brings a new keyframe.
func TestLoopbackCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	label := color.RGBA{0, 170, 160, 255}
	video, err := OpenVideo(ctx, VideoOptions{
		Source: "testsrc", Label: label, TrackID: "cam", StreamID: "alice",
		// Only a PLI may produce a second keyframe in this test.
		KeyframeInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	audio, err := OpenAudio(ctx, AudioOptions{Source: "testsrc"})
	if err != nil {
		video.Close()
		t.Fatal(err)
	}
	got, receiver := publish(t, RegisterCodecs, video, audio)

	waitFor(t, "10 decoded video frames", func() (ok bool) {
		got.snapshot(func(r *received) { ok = len(r.frames) >= 10 })
		return ok
	})
	got.snapshot(func(r *received) {
		if r.videoID != [2]string{"cam", "alice"} {
			t.Errorf("remote track ID/stream ID %q, want cam/alice", r.videoID)
		}
		last := r.frames[len(r.frames)-5:]
		prev := -1
		for _, f := range last {
			if f.Width != 320 || f.Height != 240 {
				t.Errorf("frame is %dx%d, want 320x240", f.Width, f.Height)
			}
			if err := CheckPattern(f.Image, label); err != nil {
				t.Errorf("received frame: %v", err)
			}
			n, ok := ReadCounter(f.Image)
			if !ok || int(n) <= prev {
				t.Errorf("frame counters not increasing: %d (readable %v) after %d", n, ok, prev)
			}
			prev = int(n)
		}
	})

	// Keyframe request: with periodic keyframes off, only our PLI can
	// bring the next one.
	var before, framesBefore int
	var ssrc webrtc.SSRC
	got.snapshot(func(r *received) { before, framesBefore, ssrc = r.keyframePackets, len(r.frames), r.videoSSRC })
	if before < 1 {
		t.Fatalf("frames decoded but no keyframe packet seen")
	}
	if err := receiver.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(ssrc)}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a keyframe after the PLI", func() (ok bool) {
		got.snapshot(func(r *received) { ok = r.keyframePackets > before })
		return ok
	})
	waitFor(t, "the keyframe after the PLI to decode", func() (ok bool) {
		got.snapshot(func(r *received) {
			for _, f := range r.frames[framesBefore:] {
				ok = ok || f.Keyframe
			}
		})
		return ok
	})

	// Audio: a second of tone after the decoder's first 100 ms.
	waitFor(t, "1.1 s of decoded audio", func() (ok bool) {
		got.snapshot(func(r *received) { ok = r.channels > 0 && len(r.pcm) >= 52800*r.channels })
		return ok
	})
	got.snapshot(func(r *received) {
		pcm := r.pcm[4800*r.channels:]
		if hz := dominantHz(pcm, 48000, r.channels); hz < ToneHz-20 || hz > ToneHz+20 {
			t.Errorf("received audio's dominant frequency is %.1f Hz, want %d ±20", hz, ToneHz)
		}
		if level := rms(pcm); level < 2000 {
			t.Errorf("received audio RMS %.0f: the tone is missing", level)
		}
		t.Logf("%d frames, %d keyframe packets, %d keyframe requests from the decoder, %d audio samples × %d channels",
			len(r.frames), r.keyframePackets, r.keyframeRequests, len(r.pcm)/r.channels, r.channels)
	})
	got.snapshot(func(r *received) {
		for _, err := range r.decodeErrs {
			t.Errorf("decoder: %v", err)
		}
	})
}

// TestLoopbackOtherPayloadTypes: when the negotiated payload types are not
// mediadevices' own (Firefox uses 120 for VP8 and 109 for Opus), the packets
// still carry the negotiated ones and decode.
func TestLoopbackOtherPayloadTypes(t *testing.T) {
	t.Parallel()
	register := func(m *webrtc.MediaEngine) error {
		if err := m.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
				RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}}},
			PayloadType: 120,
		}, webrtc.RTPCodecTypeVideo); err != nil {
			return err
		}
		return m.RegisterCodec(webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
			PayloadType:        109,
		}, webrtc.RTPCodecTypeAudio)
	}
	ctx := context.Background()
	video, err := OpenVideo(ctx, VideoOptions{Source: "testsrc"})
	if err != nil {
		t.Fatal(err)
	}
	audio, err := OpenAudio(ctx, AudioOptions{Source: "testsrc"})
	if err != nil {
		video.Close()
		t.Fatal(err)
	}
	got, _ := publish(t, register, video, audio)
	waitFor(t, "3 decoded video frames and 0.2 s of audio", func() (ok bool) {
		got.snapshot(func(r *received) { ok = len(r.frames) >= 3 && len(r.pcm) >= 9600 })
		return ok
	})
	got.snapshot(func(r *received) {
		if err := CheckPattern(r.frames[len(r.frames)-1].Image, DefaultLabel); err != nil {
			t.Error(err)
		}
	})
	// Closing tracks that are still bound (the PeerConnections close later,
	// in cleanup) must neither hang nor leak.
	for _, tr := range []LocalTrack{video, audio} {
		if err := tr.Close(); err != nil {
			t.Errorf("closing a bound %s track: %v", tr.Kind(), err)
		}
	}
}
