package media

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestNoneSources(t *testing.T) {
	ctx := context.Background()
	if tr, err := OpenVideo(ctx, VideoOptions{Source: "none"}); !errors.Is(err, ErrNone) || tr != nil {
		t.Errorf("OpenVideo(none) = %v, %v; want nil, ErrNone", tr, err)
	}
	if tr, err := OpenAudio(ctx, AudioOptions{Source: "none"}); !errors.Is(err, ErrNone) || tr != nil {
		t.Errorf("OpenAudio(none) = %v, %v; want nil, ErrNone", tr, err)
	}
}

func TestMissingCamera(t *testing.T) {
	ctx := context.Background()
	const hint = "; --video testsrc shows a test pattern"
	_, err := OpenVideo(ctx, VideoOptions{Source: "/dev/video-rooms-test-missing"})
	if err == nil || !strings.HasPrefix(err.Error(), "no camera found (/dev/video-rooms-test-missing does not exist)") || !strings.HasSuffix(err.Error(), hint) {
		t.Errorf("missing camera path: err = %v", err)
	}

	// No V4L2 devices at all, whatever this machine has.
	old := cameraGlob
	cameraGlob = filepath.Join(t.TempDir(), "video*")
	defer func() { cameraGlob = old }()
	for _, src := range []string{"", "camera", "Logitech"} {
		_, err := OpenVideo(ctx, VideoOptions{Source: src})
		if err == nil || !strings.HasPrefix(err.Error(), "no camera found (no ") || !strings.HasSuffix(err.Error(), hint) {
			t.Errorf("Source %q without devices: err = %v", src, err)
		}
	}
}

// TestNoMicrophone runs where there is no capture device (CI, this kind of
// machine); with one, "" and "mic" would open it.
func TestNoMicrophone(t *testing.T) {
	if devs, _ := filepath.Glob("/dev/snd/pcmC*D*c"); len(devs) > 0 {
		t.Skipf("this machine has a capture device (%v)", devs)
	}
	for _, src := range []string{"", "mic", "hw:1"} {
		_, err := OpenAudio(context.Background(), AudioOptions{Source: src})
		if err == nil || !strings.HasPrefix(err.Error(), "no microphone found (") || !strings.HasSuffix(err.Error(), "; --audio testsrc plays a test tone") {
			t.Errorf("Source %q: err = %v", src, err)
		}
	}
}

func TestBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []VideoOptions{
		{Source: "testsrc", Width: 321, Height: 240},
		{Source: "testsrc", Width: 8, Height: 8},
		{Source: "testsrc", FPS: 500},
		{Source: "testsrc", BitrateBps: 100},
	} {
		if tr, err := OpenVideo(ctx, o); err == nil {
			tr.Close()
			t.Errorf("OpenVideo(%+v) accepted bad options", o)
		}
	}
	if tr, err := OpenAudio(ctx, AudioOptions{Source: "testsrc", BitrateBps: 1}); err == nil {
		tr.Close()
		t.Error("OpenAudio accepted a 1 bps bitrate")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := OpenVideo(cancelled, VideoOptions{Source: "testsrc"}); !errors.Is(err, context.Canceled) {
		t.Errorf("OpenVideo with a cancelled context: %v", err)
	}
}

// TestTrackIdentity: IDs are what the caller chose (or the documented
// defaults) and stay put, unlike mediadevices' StreamID; Close is idempotent
// on a track never bound.
func TestTrackIdentity(t *testing.T) {
	ctx := context.Background()
	v, err := OpenVideo(ctx, VideoOptions{Source: "testsrc"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := OpenAudio(ctx, AudioOptions{Source: "testsrc", TrackID: "mic", StreamID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tr           LocalTrack
		kind         webrtc.RTPCodecType
		id, streamID string
	}{{v, webrtc.RTPCodecTypeVideo, "video", "rooms"}, {a, webrtc.RTPCodecTypeAudio, "mic", "bob"}} {
		tl := c.tr.Track()
		if c.tr.Kind() != c.kind || tl.Kind() != c.kind {
			t.Errorf("kind %v/%v, want %v", c.tr.Kind(), tl.Kind(), c.kind)
		}
		// mediadevices' own track made up a new stream id on every call.
		first := tl.StreamID()
		if tl.ID() != c.id || first != c.streamID || tl.StreamID() != first {
			t.Errorf("%v track: ID %q stream %q, want %q %q", c.kind, tl.ID(), tl.StreamID(), c.id, c.streamID)
		}
		for range 2 {
			if err := c.tr.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
		if _, err := c.tr.Track().Bind(nil); err == nil {
			t.Error("a closed track accepted Bind")
		}
	}
}
