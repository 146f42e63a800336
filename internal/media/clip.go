package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// Clip is media encoded once and replayed by many senders (the load
// tester), so the machine spends its time on packets, not encoding.
type Clip struct {
	// Video is VP8 frames at FPS, a keyframe every second, so a new
	// viewer starts within a second without asking.
	Video [][]byte
	FPS   int
	// Width and Height are the pictures' size.
	Width, Height int
	// RID names the simulcast layer the clip is (EncodeSimulcastClips),
	// else "".
	RID string
	// Audio is 20 ms Opus packets of the test tone.
	Audio [][]byte
}

// EncodeClip encodes seconds of the busy test pattern (BusyPattern) at
// 150 kbps, and the tone.
func EncodeClip(ctx context.Context, w, h, fps, seconds int, label color.RGBA) (Clip, error) {
	clip, err := encodeVideoClip(ctx, VideoOptions{Source: "testsrc", Width: w, Height: h, FPS: fps, Label: label, BitrateBps: 150_000}, seconds)
	if err != nil {
		return Clip{}, err
	}
	clip.Audio, err = encodeToneClip(seconds)
	return clip, err
}

// EncodeSimulcastClips encodes seconds of the test pattern as the three
// simulcast layers of a w x h video (SimulcastLayers, with the full layer
// at 500 kbps), in the order they are offered, each Clip with its RID;
// they share the one encoded tone. The layers encode at once, so this
// takes about seconds too.
func EncodeSimulcastClips(ctx context.Context, w, h, fps, seconds int, label color.RGBA) ([]Clip, error) {
	layers := SimulcastLayers(w, h, 500_000)
	clips := make([]Clip, len(layers))
	errs := make([]error, len(layers))
	var wg sync.WaitGroup
	for i, l := range layers {
		wg.Go(func() {
			clips[i], errs[i] = encodeVideoClip(ctx, VideoOptions{Source: "testsrc", Width: l.Width, Height: l.Height, FPS: fps, Label: label, BitrateBps: l.BitrateBps}, seconds)
			clips[i].RID = l.RID
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	audio, err := encodeToneClip(seconds)
	if err != nil {
		return nil, err
	}
	for i := range clips {
		clips[i].Audio = audio
	}
	return clips, nil
}

// encodeVideoClip encodes seconds of the busy test pattern (BusyPattern)
// at o's size and rate, at the bitrate o asks for. libvpx's rate control
// as mediadevices drives it misses its target by far on a clip this short
// (a third to a half of it, with the first keyframe taking most of the
// rest), so the clip is encoded at a fixed quantizer instead, the one
// whose clip comes closest to o.BitrateBps, found by bisection: frames
// of one quality, keyframes several times a delta frame's size, as a
// settled encoder sends.
func encodeVideoClip(ctx context.Context, o VideoOptions, seconds int) (Clip, error) {
	if err := o.setDefaults(); err != nil {
		return Clip{}, err
	}
	pics := make([]*image.RGBA, o.FPS*seconds)
	for i := range pics {
		pics[i] = BusyPattern(o.Width, o.Height, uint32(i), o.Label)
	}
	target := float64(o.BitrateBps) / 1000
	// over is the smallest clip above the target, under the largest below.
	var over, under Clip
	lo, hi := uint(minQuantizer), uint(maxQuantizer) // higher: smaller
	for lo <= hi {
		q := (lo + hi) / 2
		clip, err := encodeAtQuantizer(ctx, o, pics, q)
		if err != nil {
			return Clip{}, err
		}
		if clip.Kbps() > target {
			over = clip
			lo = q + 1
		} else {
			under = clip
			hi = q - 1
		}
	}
	switch {
	case over.Video == nil:
		return under, nil
	case under.Video == nil:
		return over, nil
	}
	// Every second starts with a keyframe, so seconds of the two clips
	// splice: take as many of over's as brings the mean closest.
	best := under
	for k := 1; k <= seconds; k++ {
		mix := under
		mix.Video = slices.Concat(over.Video[:k*o.FPS], under.Video[k*o.FPS:])
		if math.Abs(mix.Kbps()-target) < math.Abs(best.Kbps()-target) {
			best = mix
		}
	}
	return best, nil
}

// The quantizers searched (libvpx's 0–63 scale).
const minQuantizer, maxQuantizer = 4, 63

// encodeAtQuantizer encodes pics at quantizer q, a keyframe every second.
func encodeAtQuantizer(ctx context.Context, o VideoOptions, pics []*image.RGBA, q uint) (Clip, error) {
	p, err := vp8Params(o)
	if err != nil {
		return Clip{}, err
	}
	p.RateControlMinQuantizer, p.RateControlMaxQuantizer = q, q
	i := 0
	src := video.ReaderFunc(func() (image.Image, func(), error) {
		img := pics[i%len(pics)]
		i++
		return img, func() {}, nil
	})
	fps := o.FPS
	enc, err := p.BuildVideoEncoder(src, prop.Media{Video: prop.Video{Width: o.Width, Height: o.Height, FrameRate: float32(fps)}})
	if err != nil {
		return Clip{}, fmt.Errorf("build the VP8 encoder: %w", err)
	}
	defer enc.Close()
	clip := Clip{FPS: fps, Width: o.Width, Height: o.Height}
	for n := range pics {
		if err := ctx.Err(); err != nil {
			return Clip{}, err
		}
		if n%fps == 0 {
			if kf, ok := enc.Controller().(interface{ ForceKeyFrame() error }); ok {
				_ = kf.ForceKeyFrame()
			}
		}
		b, release, err := enc.Read()
		if err != nil {
			return Clip{}, fmt.Errorf("encode frame %d: %w", n, err)
		}
		clip.Video = append(clip.Video, append([]byte(nil), b...))
		release()
	}
	return clip, nil
}

// encodeToneClip encodes seconds of the test tone as 20 ms Opus packets.
func encodeToneClip(seconds int) ([][]byte, error) {
	ap, err := opus.NewParams()
	if err != nil {
		return nil, err
	}
	ap.BitRate = 32_000
	tone := &toneSource{closed: make(chan struct{}), unpaced: true}
	aenc, err := ap.BuildAudioEncoder(audio.ReaderFunc(tone.Read), prop.Media{Audio: prop.Audio{SampleRate: toneRate, ChannelCount: 1, Latency: 20 * time.Millisecond}})
	if err != nil {
		return nil, fmt.Errorf("build the opus encoder: %w", err)
	}
	defer aenc.Close()
	var out [][]byte
	for range seconds * 50 {
		b, release, err := aenc.Read()
		if err != nil {
			return nil, fmt.Errorf("encode audio: %w", err)
		}
		out = append(out, append([]byte(nil), b...))
		release()
	}
	return out, nil
}
