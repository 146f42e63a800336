package media

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/xvfbtest"
)

func TestScreenPatternChecks(t *testing.T) {
	for _, size := range [][2]int{{1280, 720}, {1920, 1080}, {333, 201}, {64, 48}} {
		if err := CheckScreenPattern(ScreenPattern(size[0], size[1], 7)); err != nil {
			t.Errorf("%dx%d: %v", size[0], size[1], err)
		}
	}
	if err := CheckScreenPattern(Pattern(640, 480, 0, DefaultLabel)); err == nil {
		t.Error("a camera test pattern passed for the screen pattern")
	}
	if err := CheckScreenPattern(ScreenPattern(16, 16, 0)); err == nil {
		t.Error("a 16x16 image passed for the screen pattern")
	}
}

func TestFitEven(t *testing.T) {
	for _, c := range []struct{ w, h, mw, mh, ww, wh int }{
		{1920, 1080, 1920, 1080, 1920, 1080},
		{2560, 1440, 1920, 1080, 1920, 1080},
		{3840, 1080, 1920, 1080, 1920, 540},
		{1366, 768, 1920, 1080, 1366, 768},
		{1025, 769, 1920, 1080, 1024, 768},
		{1080, 1920, 1920, 1080, 606, 1080},
	} {
		if w, h := fitEven(c.w, c.h, c.mw, c.mh); w != c.ww || h != c.wh {
			t.Errorf("fitEven(%dx%d into %dx%d) = %dx%d, want %dx%d", c.w, c.h, c.mw, c.mh, w, h, c.ww, c.wh)
		}
	}
}

// TestNoDisplay: without an X display the error says what is wrong and
// what to do, and is ErrNoDisplay.
func TestNoDisplay(t *testing.T) {
	for _, c := range []struct {
		name   string
		source string
		env    map[string]string
		want   string
	}{
		{"no DISPLAY", "", nil, "DISPLAY is not set"},
		{"Wayland only", "", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, "Wayland session"},
		{"no server there", ":97", nil, "cannot connect to X display :97"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DISPLAY", "")
			_, err := OpenScreen(context.Background(), ScreenOptions{Source: c.source, Getenv: func(k string) string { return c.env[k] }})
			if !errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrNoDisplay saying %q", err, c.want)
			}
		})
	}
}

func TestBadScreenOptions(t *testing.T) {
	for _, o := range []ScreenOptions{{Source: "testsrc", FPS: 31}, {Source: "testsrc", MaxWidth: 8, MaxHeight: 8}, {Source: "testsrc", BitrateBps: 1000}} {
		if tr, err := OpenScreen(context.Background(), o); err == nil {
			_ = tr.Close()
			t.Errorf("%+v was accepted", o)
		}
	}
}

// waitScreen publishes a screen track over loopback WebRTC and waits for a
// decoded frame that shows the screen pattern at w x h.
func waitScreen(t *testing.T, tr LocalTrack, w, h int) {
	t.Helper()
	got, _ := publish(t, RegisterCodecs, tr)
	var last error
	waitFor(t, "a decoded screen pattern", func() bool {
		ok := false
		got.snapshot(func(r *received) {
			if len(r.frames) == 0 {
				return
			}
			f := r.frames[len(r.frames)-1]
			if f.Width != w || f.Height != h {
				last = fmt.Errorf("frame size %dx%d, want %dx%d", f.Width, f.Height, w, h)
				return
			}
			last = CheckScreenPattern(f.Image)
			ok = last == nil
		})
		return ok
	})
	if last != nil {
		t.Fatal(last)
	}
	got.snapshot(func(r *received) {
		if r.videoID[0] != "screen" {
			t.Errorf("track id %q, want screen", r.videoID[0])
		}
	})
}

func TestScreenTestsrcLoopback(t *testing.T) {
	tr, err := OpenScreen(context.Background(), ScreenOptions{Source: "testsrc"})
	if err != nil {
		t.Fatal(err)
	}
	waitScreen(t, tr, 1280, 720)
}

// TestScreenX11: the screen pattern painted on a real (virtual) X display
// is captured by mediadevices' X11 driver, encoded, sent over loopback
// WebRTC, and decodes to the same pattern, scaled to fit 1280x720.
func TestScreenX11(t *testing.T) {
	display := xvfbtest.Start(t, 1600, 900)
	if err := xvfbtest.Paint(display, ScreenPattern(1600, 900, 0)); err != nil {
		t.Fatal(err)
	}
	tr, err := OpenScreen(context.Background(), ScreenOptions{Source: display, MaxWidth: 1280, MaxHeight: 720})
	if err != nil {
		t.Fatal(err)
	}
	// One capture at a time: a second share is refused, not garbled.
	if tr2, err := OpenScreen(context.Background(), ScreenOptions{Source: display}); err == nil {
		_ = tr2.Close()
		t.Error("a second screen share opened while the first was live")
	}
	waitScreen(t, tr, 1280, 720)
}
