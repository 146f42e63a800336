package media

import (
	"context"
	"fmt"
	"image"
	"image/color"
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
	// Audio is 20 ms Opus packets of the test tone.
	Audio [][]byte
}

// EncodeClip encodes seconds of the test pattern and tone. The encoder's
// rate control runs on wall-clock time, so this takes about that long.
func EncodeClip(ctx context.Context, w, h, fps, seconds int, label color.RGBA) (Clip, error) {
	o := VideoOptions{Source: "testsrc", Width: w, Height: h, FPS: fps, Label: label, BitrateBps: 150_000}
	if err := o.setDefaults(); err != nil {
		return Clip{}, err
	}
	p, err := vp8Params(o)
	if err != nil {
		return Clip{}, err
	}
	n := fps * seconds
	frame := uint32(0)
	period := time.Second / time.Duration(fps)
	next := time.Now()
	src := video.ReaderFunc(func() (image.Image, func(), error) {
		time.Sleep(time.Until(next))
		next = next.Add(period)
		img := Pattern(o.Width, o.Height, frame, o.Label)
		frame++
		return img, func() {}, nil
	})
	enc, err := p.BuildVideoEncoder(src, prop.Media{Video: prop.Video{Width: o.Width, Height: o.Height, FrameRate: float32(fps)}})
	if err != nil {
		return Clip{}, fmt.Errorf("build the VP8 encoder: %w", err)
	}
	defer enc.Close()
	clip := Clip{FPS: fps}
	for i := range n {
		if err := ctx.Err(); err != nil {
			return Clip{}, err
		}
		if i%fps == 0 {
			if kf, ok := enc.Controller().(interface{ ForceKeyFrame() error }); ok {
				_ = kf.ForceKeyFrame()
			}
		}
		b, release, err := enc.Read()
		if err != nil {
			return Clip{}, fmt.Errorf("encode frame %d: %w", i, err)
		}
		clip.Video = append(clip.Video, append([]byte(nil), b...))
		release()
	}

	ap, err := opus.NewParams()
	if err != nil {
		return Clip{}, err
	}
	ap.BitRate = 32_000
	tone := &toneSource{closed: make(chan struct{}), unpaced: true}
	aenc, err := ap.BuildAudioEncoder(audio.ReaderFunc(tone.Read), prop.Media{Audio: prop.Audio{SampleRate: toneRate, ChannelCount: 1, Latency: 20 * time.Millisecond}})
	if err != nil {
		return Clip{}, fmt.Errorf("build the opus encoder: %w", err)
	}
	defer aenc.Close()
	for range seconds * 50 {
		b, release, err := aenc.Read()
		if err != nil {
			return Clip{}, fmt.Errorf("encode audio: %w", err)
		}
		clip.Audio = append(clip.Audio, append([]byte(nil), b...))
		release()
	}
	return clip, nil
}
