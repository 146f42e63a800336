package media

import (
	"image"
	"image/color"
)

// BusyPattern is Pattern with detail an encoder has to spend bits on, as a
// camera's picture has: everywhere but the bottom-right quarter (the
// moving block and the frame counter, which stay readable), every pixel
// gets noise of up to ±busyAmplitude per channel, fresh each frame. On the
// flat Pattern VP8 sends a fraction of the bitrate it is given (about 41
// kbps of 150 at 320x240, one packet a frame); on this it spends what it
// is given, in several packets a frame at the larger sizes, so a load
// test sends what it says.
func BusyPattern(w, h int, frame uint32, label color.RGBA) *image.RGBA {
	img := Pattern(w, h, frame, label)
	if w == 0 || h == 0 {
		return img
	}
	l := layoutFor(w, h)
	// Texture: a fixed field of noise that pans two pixels right and one
	// down a frame (motion an encoder can follow), plus grain fresh each
	// frame (a sensor's noise, which it cannot).
	dx, dy := int(frame)*2, int(frame)
	grain := frame*2654435761 + 1 // xorshift32 state, by frame
	for y := 0; y < h; y++ {
		x1 := w
		if y >= l.qy {
			x1 = l.qx // leave the block and the counter alone
		}
		row := img.Pix[y*img.Stride:]
		for x := 0; x < x1; x++ {
			t := texel(x-dx, y-dy)
			grain ^= grain << 13
			grain ^= grain >> 17
			grain ^= grain << 5
			p := row[x*4 : x*4+3 : x*4+3]
			for c := range 3 {
				d := int(t>>(c*8)&0xff)*(2*textureAmplitude+1)/256 - textureAmplitude
				d += int(grain>>(c*8)&0xff)*(2*grainAmplitude+1)/256 - grainAmplitude
				p[c] = addClamp(p[c], d)
			}
		}
	}
	return img
}

// How far, per channel, the texture and the grain move a pixel: enough
// that VP8 finds no flat area to skip, little enough that the bars keep
// their colours.
const (
	textureAmplitude = 48
	grainAmplitude   = 8
)

// texel is the texture at (x, y): a hash, the same for the same point.
func texel(x, y int) uint32 {
	h := uint32(x)*0x9E3779B1 ^ uint32(y)*0x85EBCA77
	h ^= h >> 15
	h *= 0xC2B2AE3D
	h ^= h >> 13
	return h
}

func addClamp(v uint8, d int) uint8 {
	return uint8(min(max(int(v)+d, 0), 255))
}

// Kbps is the bitrate of the clip's video: its bytes over its duration.
func (c Clip) Kbps() float64 {
	if len(c.Video) == 0 || c.FPS <= 0 {
		return 0
	}
	n := 0
	for _, f := range c.Video {
		n += len(f)
	}
	return float64(n) * 8 / (float64(len(c.Video)) / float64(c.FPS)) / 1000
}
