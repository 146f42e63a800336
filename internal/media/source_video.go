package media

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/webrtc/v4"
)

// VideoOptions chooses and shapes the local video.
type VideoOptions struct {
	Source             string // "testsrc", BusySource, "none", or a camera ("", "camera", a /dev/video* path or a driver label)
	Width, Height, FPS int    // defaults 320x240@15, with Simulcast 640x480@15
	BitrateBps         int    // default 250_000, with Simulcast 500_000 (the full layer's)
	// Simulcast sends the video as three VP8 encodings of one capture, as
	// browsers do, so a server can pick one per viewer: RID "q" a quarter
	// of Width x Height in each dimension, "h" half, "f" full (sides even,
	// at least 16), all at FPS. BitrateBps is the full layer's; h gets
	// 2/5 of it and q 4/25 (200 and 80 kbps by default). See SimulcastLayers.
	Simulcast bool
	// Label colours the test pattern so tests can tell participants apart (see Pattern); zero means DefaultLabel.
	Label color.RGBA
	// KeyframeInterval is the longest the encoder goes without a keyframe of its own accord (default 10 s); PLI/FIR get one at once.
	KeyframeInterval time.Duration
	// TrackID and StreamID become the track's msid in SDP; defaults "video" and "rooms".
	TrackID, StreamID string
}

// BusySource is the test pattern with a camera's detail (BusyPattern):
// the encoder spends the bitrate it is given on it, as on a camera's
// picture, where the flat "testsrc" costs a fraction (tests of narrow
// links).
const BusySource = "testsrc-busy"

func (o *VideoOptions) setDefaults() error {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = 320, 240
		if o.Simulcast {
			o.Width, o.Height = 640, 480
		}
	}
	if o.FPS == 0 {
		o.FPS = 15
	}
	if o.BitrateBps == 0 {
		o.BitrateBps = 250_000
		if o.Simulcast {
			o.BitrateBps = 500_000
		}
	}
	if o.Label == (color.RGBA{}) {
		o.Label = DefaultLabel
	}
	if o.KeyframeInterval == 0 {
		o.KeyframeInterval = 10 * time.Second
	}
	if o.TrackID == "" {
		o.TrackID = "video"
	}
	if o.StreamID == "" {
		o.StreamID = "rooms"
	}
	// I420 halves the chroma planes, so odd sizes would lose a column.
	if o.Width < 16 || o.Height < 16 || o.Width > 4096 || o.Height > 4096 || o.Width%2 != 0 || o.Height%2 != 0 {
		return fmt.Errorf("video size %dx%d: width and height must be even and between 16 and 4096", o.Width, o.Height)
	}
	if o.FPS < 1 || o.FPS > 60 {
		return fmt.Errorf("video rate %d fps: must be between 1 and 60", o.FPS)
	}
	if o.BitrateBps < 10_000 {
		return fmt.Errorf("video bitrate %d bps: must be at least 10000", o.BitrateBps)
	}
	if o.KeyframeInterval < 0 {
		return fmt.Errorf("keyframe interval %v: must not be negative", o.KeyframeInterval)
	}
	return nil
}

// OpenVideo opens a video source and its VP8 encoder; Source "none" gives ErrNone.
func OpenVideo(ctx context.Context, o VideoOptions) (LocalTrack, error) {
	if o.Source == "none" {
		return nil, ErrNone
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	if o.Simulcast {
		return openSimulcast(o)
	}
	selector, err := vp8Selector(o)
	if err != nil {
		return nil, err
	}
	md, err := openVideoSource(o, selector)
	if err != nil {
		return nil, err
	}
	t := newLocalTrack(md, webrtc.MimeTypeVP8, o.TrackID, o.StreamID)
	t.rate.max = o.BitrateBps
	return t, nil
}

// openVideoSource opens the test pattern or a camera at o's size and rate,
// as a track that encodes with selector when bound.
func openVideoSource(o VideoOptions, selector *mediadevices.CodecSelector) (mediadevices.Track, error) {
	if o.Source == "testsrc" || o.Source == BusySource {
		w, h, label := o.Width, o.Height, o.Label
		draw := func(n uint32) *image.RGBA { return Pattern(w, h, n, label) }
		if o.Source == BusySource {
			draw = func(n uint32) *image.RGBA { return BusyPattern(w, h, n, label) }
		}
		return mediadevices.NewVideoTrack(&drawnSource{id: o.Source, period: time.Second / time.Duration(o.FPS), closed: make(chan struct{}),
			draw: draw}, selector), nil
	}
	return openCamera(o, selector)
}

func vp8Selector(o VideoOptions) (*mediadevices.CodecSelector, error) {
	p, err := vp8Params(o)
	if err != nil {
		return nil, err
	}
	return mediadevices.NewCodecSelector(mediadevices.WithVideoEncoders(&p)), nil
}

// vp8Params is the encoder set-up for interactive video: realtime deadline,
// constant bitrate so a still scene does not starve a later moving one, and
// error resilience so a lost packet costs one frame, not the rest of the GOP.
func vp8Params(o VideoOptions) (vpx.VP8Params, error) {
	p, err := vpx.NewVP8Params()
	if err != nil {
		return p, err
	}
	p.BitRate = o.BitrateBps
	p.KeyFrameInterval = max(int(o.KeyframeInterval.Seconds()*float64(o.FPS)), 1)
	p.RateControlEndUsage = vpx.RateControlCBR
	p.ErrorResilient = vpx.ErrorResilientDefault
	p.LagInFrames = 0
	return p, nil
}

// pace waits until *next, then moves it one period on; it returns io.EOF
// once closed is closed. After a stall (a slow encoder, a suspended laptop)
// it resumes from now rather than bursting to catch up.
func pace(next *time.Time, period time.Duration, closed <-chan struct{}) error {
	now := time.Now()
	if next.IsZero() {
		*next = now
	}
	if wait := next.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-closed:
			t.Stop()
			return io.EOF
		}
	}
	select {
	case <-closed:
		return io.EOF
	default:
	}
	*next = next.Add(period)
	if now := time.Now(); next.Before(now) {
		*next = now.Add(period)
	}
	return nil
}
