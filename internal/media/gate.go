package media

import (
	"image"
	"math"
	"sync"
	"sync/atomic"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/wave"
)

// Gate sits between a source and its encoder: it is the track's on/off
// switch (muting really stops the sound and the picture, not just a flag),
// keeps the last frame for a self-view and measures the sound level.
type Gate struct {
	off   atomic.Bool
	level atomic.Uint32 // -dBov of the last audio chunk, 127 silence

	mu    sync.Mutex
	last  image.Image
	black *image.YCbCr
}

func newGate() *Gate {
	g := &Gate{}
	g.level.Store(127)
	return g
}

// SetEnabled turns the source on or off. Off, video sends black frames and
// audio sends silence, so the connection stays up and turning it back on
// is instant.
func (g *Gate) SetEnabled(on bool) { g.off.Store(!on) }

// Enabled says whether the source is on.
func (g *Gate) Enabled() bool { return !g.off.Load() }

// Preview is the last frame captured (even while off), or nil.
func (g *Gate) Preview() image.Image {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// Level is the sound level now as -dBov: 0 the loudest, 127 silence (and
// while off). It is what the audio-level header extension carries.
func (g *Gate) Level() uint8 { return uint8(g.level.Load()) }

// video wraps a video reader: it keeps the frame for Preview and sends
// black instead while off.
func (g *Gate) video(r video.Reader) video.Reader {
	return video.ReaderFunc(func() (image.Image, func(), error) {
		img, release, err := r.Read()
		if err != nil {
			return img, release, err
		}
		g.mu.Lock()
		g.last = img
		if g.off.Load() {
			b := img.Bounds()
			if g.black == nil || g.black.Rect != b {
				g.black = image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
				for i := range g.black.Cb {
					g.black.Cb[i], g.black.Cr[i] = 128, 128
				}
			}
			img = g.black
		}
		g.mu.Unlock()
		return img, release, nil
	})
}

// audio wraps an audio reader: it measures each chunk's level and sends
// silence instead while off.
func (g *Gate) audio(r audio.Reader) audio.Reader {
	return audio.ReaderFunc(func() (wave.Audio, func(), error) {
		chunk, release, err := r.Read()
		if err != nil {
			return chunk, release, err
		}
		if g.off.Load() {
			g.level.Store(127)
			info := chunk.ChunkInfo()
			return wave.NewInt16Interleaved(info), release, nil
		}
		g.level.Store(uint32(levelOf(chunk)))
		return chunk, release, nil
	})
}

// levelOf is a chunk's RMS level in -dBov, 0..127 (RFC 6464).
func levelOf(a wave.Audio) uint8 {
	info := a.ChunkInfo()
	n := info.Len * info.Channels
	if n == 0 {
		return 127
	}
	var sum float64
	for i := 0; i < info.Len; i++ {
		for ch := 0; ch < info.Channels; ch++ {
			v := float64(a.At(i, ch).Int()) / (1 << 31)
			sum += v * v
		}
	}
	rms := math.Sqrt(sum / float64(n))
	if rms <= 0 {
		return 127
	}
	db := -20 * math.Log10(rms)
	return uint8(math.Min(127, math.Max(0, math.Round(db))))
}
