package termgfx

import (
	"image"
	"image/color"
)

// Scaler turns frames into RGB pictures (3 bytes a pixel) of a given box,
// keeping the frame's shape (letterboxed in a background colour), reusing
// its buffers. Its zero value is ready; it is not safe for concurrent use.
type Scaler struct {
	src  []byte   // the frame as RGB
	out  []byte   // the picture
	cols []uint32 // per-source-column sums of the current row span
}

// Fit draws img into a w×h RGB picture, scaled by area averaging (or
// repeated pixels when enlarged) to the largest size of its shape that
// fits, centred on bg. The result is valid until the next call.
func (s *Scaler) Fit(img image.Image, w, h int, bg color.RGBA) []byte {
	if w < 1 || h < 1 {
		return nil
	}
	sw, sh := s.toRGB(img)
	need := w * h * 3
	if cap(s.out) < need {
		s.out = make([]byte, need)
	}
	out := s.out[:need]
	for i := 0; i < need; i += 3 {
		out[i], out[i+1], out[i+2] = bg.R, bg.G, bg.B
	}
	if sw < 1 || sh < 1 {
		return out
	}
	fw, fh := w, sh*w/sw
	if fh > h {
		fw, fh = sw*h/sh, h
	}
	fw, fh = max(fw, 1), max(fh, 1)
	ox, oy := (w-fw)/2, (h-fh)/2
	s.scale(out[(oy*w+ox)*3:], w*3, fw, fh, sw, sh)
	return out
}

// NativeBox is the largest box of w×h's shape that shows an iw×ih frame
// at no more than its own resolution: there is no point sending a
// terminal more pixels than the frame has, it scales them up itself.
func NativeBox(w, h, iw, ih int) (int, int) {
	if w < 1 || h < 1 || iw < 1 || ih < 1 {
		return w, h
	}
	// The frame fills the box's width or its height.
	fw := iw * h / ih
	if fw <= w { // fills the height
		if ih >= h {
			return w, h
		}
		return max(1, w*ih/h), ih
	}
	if iw >= w {
		return w, h
	}
	return iw, max(1, h*iw/w)
}

// toRGB copies img into s.src as RGB.
func (s *Scaler) toRGB(img image.Image) (int, int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return 0, 0
	}
	if cap(s.src) < w*h*3 {
		s.src = make([]byte, w*h*3)
	}
	p := s.src[:w*h*3]
	switch im := img.(type) {
	case *image.YCbCr:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			yo := im.YOffset(b.Min.X, y)
			for x := b.Min.X; x < b.Max.X; x++ {
				co := im.COffset(x, y)
				r, g, bl := color.YCbCrToRGB(im.Y[yo], im.Cb[co], im.Cr[co])
				p[i], p[i+1], p[i+2] = r, g, bl
				i += 3
				yo++
			}
		}
	case *image.RGBA:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := im.Pix[im.PixOffset(b.Min.X, y):]
			for x := 0; x < w; x++ {
				p[i], p[i+1], p[i+2] = row[4*x], row[4*x+1], row[4*x+2]
				i += 3
			}
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				p[i], p[i+1], p[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
	return w, h
}

// scale area-averages the sw×sh source into a fw×fh block of dst (rows
// stride bytes apart).
func (s *Scaler) scale(dst []byte, stride, fw, fh, sw, sh int) {
	if cap(s.cols) < sw*3 {
		s.cols = make([]uint32, sw*3)
	}
	cols := s.cols[:sw*3]
	src := s.src
	for y := 0; y < fh; y++ {
		y0 := y * sh / fh
		y1 := max((y+1)*sh/fh, y0+1)
		clear(cols)
		for sy := y0; sy < y1; sy++ {
			row := src[sy*sw*3 : (sy+1)*sw*3]
			for i, v := range row {
				cols[i] += uint32(v)
			}
		}
		drow := dst[y*stride:]
		ny := uint32(y1 - y0)
		for x := 0; x < fw; x++ {
			x0 := x * sw / fw
			x1 := max((x+1)*sw/fw, x0+1)
			var r, g, b uint32
			for sx := x0; sx < x1; sx++ {
				r += cols[sx*3]
				g += cols[sx*3+1]
				b += cols[sx*3+2]
			}
			n := ny * uint32(x1-x0)
			drow[x*3], drow[x*3+1], drow[x*3+2] = byte(r/n), byte(g/n), byte(b/n)
		}
	}
}
