package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/driver/screen" // X11 displays, registered from $DISPLAY at start-up
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/webrtc/v4"
	xdraw "golang.org/x/image/draw"
)

// ScreenOptions choose and shape a shared screen.
type ScreenOptions struct {
	// Source is "testsrc" (ScreenPattern), or an X11 display such as ":0"
	// or ":99"; "" means the one $DISPLAY names.
	Source string
	// MaxWidth and MaxHeight bound the picture (default 1920x1080): a
	// larger display is scaled down, keeping its shape.
	MaxWidth, MaxHeight int
	// FPS is the capture rate (default 5): screens change little and
	// detail matters more than motion.
	FPS int
	// BitrateBps is the encoder's target (default 1_500_000).
	BitrateBps int
	// KeyframeInterval is the longest without a keyframe (default 20 s).
	KeyframeInterval time.Duration
	// TrackID and StreamID become the track's msid; defaults "screen" and "rooms".
	TrackID, StreamID string
	// Getenv reads DISPLAY and WAYLAND_DISPLAY (default os.Getenv).
	Getenv func(string) string
}

func (o *ScreenOptions) setDefaults() error {
	if o.MaxWidth == 0 && o.MaxHeight == 0 {
		o.MaxWidth, o.MaxHeight = 1920, 1080
	}
	if o.FPS == 0 {
		o.FPS = 5
	}
	if o.BitrateBps == 0 {
		o.BitrateBps = 1_500_000
	}
	if o.KeyframeInterval == 0 {
		o.KeyframeInterval = 20 * time.Second
	}
	if o.TrackID == "" {
		o.TrackID = "screen"
	}
	if o.StreamID == "" {
		o.StreamID = "rooms"
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.MaxWidth < 16 || o.MaxHeight < 16 || o.MaxWidth > 4096 || o.MaxHeight > 4096 {
		return fmt.Errorf("screen size %dx%d: must be between 16 and 4096", o.MaxWidth, o.MaxHeight)
	}
	if o.FPS < 1 || o.FPS > 30 {
		return fmt.Errorf("screen rate %d fps: must be between 1 and 30", o.FPS)
	}
	if o.BitrateBps < 50_000 {
		return fmt.Errorf("screen bitrate %d bps: must be at least 50000", o.BitrateBps)
	}
	return nil
}

// ErrNoDisplay says there is no X display to capture; its message says how
// to get one.
var ErrNoDisplay = errors.New("no X display to share")

// OpenScreen opens a screen to share and its VP8 encoder.
func OpenScreen(ctx context.Context, o ScreenOptions) (LocalTrack, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	p, err := vp8Params(VideoOptions{BitrateBps: o.BitrateBps, FPS: o.FPS, KeyframeInterval: o.KeyframeInterval})
	if err != nil {
		return nil, err
	}
	// Detail over motion: a still slide may take its time to sharpen, but
	// text must not smear, so the quantiser stays out of its coarsest range
	// and variable bitrate lets a changed page cost more than a still one.
	p.RateControlEndUsage = vpx.RateControlVBR
	p.RateControlMaxQuantizer = 48
	selector := mediadevices.NewCodecSelector(mediadevices.WithVideoEncoders(&p))

	var src mediadevices.VideoSource
	if o.Source == "testsrc" {
		w, h := fitEven(1280, 720, o.MaxWidth, o.MaxHeight)
		src = &drawnSource{id: "screen-testsrc", period: time.Second / time.Duration(o.FPS), closed: make(chan struct{}),
			draw: func(n uint32) *image.RGBA { return ScreenPattern(w, h, n) }}
	} else {
		x, err := openX11(o)
		if err != nil {
			return nil, err
		}
		src = x
	}
	t := newLocalTrack(mediadevices.NewVideoTrack(src, selector), webrtc.MimeTypeVP8, o.TrackID, o.StreamID)
	t.rate.max = o.BitrateBps
	return t, nil
}

// fitEven scales w x h down to fit maxW x maxH, keeping its shape, with
// even sides (I420 halves the chroma planes).
func fitEven(w, h, maxW, maxH int) (int, int) {
	if w > maxW || h > maxH {
		if w*maxH > h*maxW {
			w, h = maxW, h*maxW/w
		} else {
			w, h = w*maxH/h, maxH
		}
	}
	return max(w&^1, 2), max(h&^1, 2)
}

// x11 is one screen capture at a time: the driver keeps its state in one
// object per screen, and $DISPLAY is process-wide.
var x11 struct {
	mu   sync.Mutex
	busy bool
}

func displayError(o ScreenOptions) error {
	if o.Getenv("WAYLAND_DISPLAY") != "" {
		return fmt.Errorf("%w: this is a Wayland session without X (DISPLAY is not set); rooms shares X11 displays: "+
			"enable XWayland, or pass --display with an X display", ErrNoDisplay)
	}
	return fmt.Errorf("%w: DISPLAY is not set; run this inside an X session, or start a virtual display "+
		"(Xvfb :99 -screen 0 1920x1080x24 -noreset &) and pass --display :99", ErrNoDisplay)
}

// openX11 opens the X display o.Source names through mediadevices' screen
// driver, checking first what the driver alone would answer with only
// "failed to find the best driver that fits the constraints".
func openX11(o ScreenOptions) (*x11Source, error) {
	display := o.Source
	if display == "" {
		display = o.Getenv("DISPLAY")
	}
	if display == "" {
		return nil, displayError(o)
	}
	x11.mu.Lock()
	defer x11.mu.Unlock()
	if x11.busy {
		return nil, errors.New("this program is already sharing a screen")
	}
	// The driver connects to whatever $DISPLAY says when it opens.
	if err := os.Setenv("DISPLAY", display); err != nil {
		return nil, fmt.Errorf("set DISPLAY: %w", err)
	}
	d := findScreen()
	if d == nil {
		// Nothing was registered at start-up (no display then): look
		// again now. Initialize registers only what it can connect to, so
		// it never duplicates a screen already registered.
		screen.Initialize()
		d = findScreen()
	}
	if d == nil {
		return nil, fmt.Errorf("%w: cannot connect to X display %s; is an X server running there, and may this user use it (XAUTHORITY)?", ErrNoDisplay, display)
	}
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("open X display %s: %w (is an X server running there, with the MIT-SHM extension?)", display, err)
	}
	rec, ok := d.(driver.VideoRecorder)
	if !ok {
		_ = d.Close()
		return nil, fmt.Errorf("the screen driver cannot record X display %s", display)
	}
	// The driver paces itself with a ticker; run it faster than the share
	// so the source's own pacing decides, and can stop between frames.
	r, err := rec.VideoRecord(prop.Media{Video: prop.Video{FrameRate: 30}})
	if err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("capture X display %s: %w", display, err)
	}
	x11.busy = true
	return &x11Source{d: d, r: r, display: display, maxW: o.MaxWidth, maxH: o.MaxHeight,
		period: time.Second / time.Duration(o.FPS), closed: make(chan struct{})}, nil
}

func findScreen() driver.Driver {
	ds := driver.GetManager().Query(driver.FilterAnd(driver.FilterVideoRecorder(), driver.FilterDeviceType(driver.Screen)))
	if len(ds) == 0 {
		return nil
	}
	return ds[0]
}

// x11Source reads the display at the share's rate. Close waits for a read
// in progress, so the driver's display is never read after it is closed.
type x11Source struct {
	d          driver.Driver
	r          video.Reader
	display    string
	maxW, maxH int
	period     time.Duration

	mu     sync.Mutex
	next   time.Time
	done   bool
	scaled *image.RGBA
	closed chan struct{}
	once   sync.Once
}

func (s *x11Source) ID() string { return "x11" + s.display }

func (s *x11Source) Close() error {
	s.once.Do(func() { close(s.closed) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil
	}
	s.done = true
	err := s.d.Close()
	x11.mu.Lock()
	x11.busy = false
	x11.mu.Unlock()
	return err
}

func (s *x11Source) Read() (image.Image, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, func() {}, io.EOF
	}
	if err := pace(&s.next, s.period, s.closed); err != nil {
		return nil, func() {}, err
	}
	img, release, err := s.r.Read()
	if err != nil {
		return nil, func() {}, fmt.Errorf("capture X display %s: %w", s.display, err)
	}
	b := img.Bounds()
	w, h := fitEven(b.Dx(), b.Dy(), s.maxW, s.maxH)
	if w == b.Dx() && h == b.Dy() {
		return img, release, nil
	}
	if s.scaled == nil || s.scaled.Bounds().Dx() != w || s.scaled.Bounds().Dy() != h {
		s.scaled = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	xdraw.ApproxBiLinear.Scale(s.scaled, s.scaled.Bounds(), img, b, xdraw.Src, nil)
	release()
	return s.scaled, func() {}, nil
}

// drawnSource produces drawn frames in real time.
type drawnSource struct {
	id     string
	draw   func(frame uint32) *image.RGBA
	period time.Duration

	mu     sync.Mutex
	frame  uint32
	next   time.Time
	closed chan struct{}
	once   sync.Once
}

func (s *drawnSource) ID() string { return s.id }

func (s *drawnSource) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *drawnSource) Read() (image.Image, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := pace(&s.next, s.period, s.closed); err != nil {
		return nil, func() {}, err
	}
	img := s.draw(s.frame)
	s.frame++
	return img, func() {}, nil
}
