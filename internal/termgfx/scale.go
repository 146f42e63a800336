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
	// per-column sums of the luma and chroma rows of the current span
	// (a 4:2:0 frame is scaled from its planes, converted per pixel out)
	ys, cbs, crs []uint32
}

// Fit draws img into a w×h RGB picture, scaled by area averaging (or
// repeated pixels when enlarged) to the largest size of its shape that
// fits, centred on bg. The result is valid until the next call.
func (s *Scaler) Fit(img image.Image, w, h int, bg color.RGBA) []byte {
	if w < 1 || h < 1 {
		return nil
	}
	if yc, ok := img.(*image.YCbCr); ok && yc.SubsampleRatio == image.YCbCrSubsampleRatio420 {
		// What the VP8 decoder gives: scaled from its planes, so only
		// the pixels sent are converted to RGB.
		return s.fit(yc.Bounds().Dx(), yc.Bounds().Dy(), w, h, bg, func(dst []byte, stride, fw, fh int) {
			s.scale420(yc, dst, stride, fw, fh)
		})
	}
	sw, sh := s.toRGB(img)
	return s.fit(sw, sh, w, h, bg, func(dst []byte, stride, fw, fh int) {
		s.scale(dst, stride, fw, fh, sw, sh)
	})
}

// fit lays out a w×h picture of an sw×sh frame on bg and has scale draw
// the frame into it (fw×fh at dst, rows stride bytes apart).
func (s *Scaler) fit(sw, sh, w, h int, bg color.RGBA, scale func(dst []byte, stride, fw, fh int)) []byte {
	need := w * h * 3
	if cap(s.out) < need {
		s.out = make([]byte, need)
	}
	out := s.out[:need]
	if sw < 1 || sh < 1 {
		for i := 0; i < need; i += 3 {
			out[i], out[i+1], out[i+2] = bg.R, bg.G, bg.B
		}
		return out
	}
	fw, fh := w, sh*w/sw
	if fh > h {
		fw, fh = sw*h/sh, h
	}
	fw, fh = max(fw, 1), max(fh, 1)
	ox, oy := (w-fw)/2, (h-fh)/2
	if fw < w || fh < h {
		// Only the bars need the background.
		for i := 0; i < need; i += 3 {
			out[i], out[i+1], out[i+2] = bg.R, bg.G, bg.B
		}
	}
	scale(out[(oy*w+ox)*3:], w*3, fw, fh)
	return out
}

// NativeBox is the largest box of w×h's shape that shows an iw×ih frame
// at no more than its own resolution: there is no point sending a
// terminal more pixels than the frame has, it scales them up itself. A
// frame a little larger than the box (up to a quarter, a camera's
// 320×240 in a 9-tile slot) gets a box that holds it at its own size:
// the terminal scales it down for free, where scaling it here would cost
// a pass over every pixel and blur it twice.
func NativeBox(w, h, iw, ih int) (int, int) {
	if w < 1 || h < 1 || iw < 1 || ih < 1 {
		return w, h
	}
	if iw*h <= ih*w { // the frame fills the box's height
		if ih > h && ih*4 <= h*5 {
			return max(1, (w*ih+h-1)/h), ih
		}
	} else if iw > w && iw*4 <= w*5 {
		return iw, max(1, (h*iw+w-1)/w)
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

// scale420 area-averages a 4:2:0 frame's planes into a fw×fh block of dst
// (rows stride bytes apart), converting each averaged pixel to RGB: the
// same picture as converting first and averaging after, within rounding,
// at a fraction of the conversions when the frame is scaled down.
func (s *Scaler) scale420(im *image.YCbCr, dst []byte, stride, fw, fh int) {
	b := im.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if fw == sw && fh == sh {
		// At its own size: converted, not averaged.
		for y := 0; y < sh; y++ {
			yo := im.YOffset(b.Min.X, b.Min.Y+y)
			co := im.COffset(b.Min.X, b.Min.Y+y)
			ys := im.Y[yo : yo+sw]
			drow := dst[y*stride : y*stride+sw*3]
			odd := b.Min.X & 1 // the first pixel shares its chroma with the one before it
			for x, yy := range ys {
				c := co + (x+odd)/2
				r, g, bl := ycbcrToRGB(uint32(yy), uint32(im.Cb[c]), uint32(im.Cr[c]))
				drow[x*3], drow[x*3+1], drow[x*3+2] = r, g, bl
			}
		}
		return
	}
	// The chroma planes' columns of the frame's bounds.
	cx0 := b.Min.X / 2
	cw := (b.Max.X+1)/2 - cx0
	if cap(s.ys) < sw {
		s.ys = make([]uint32, sw)
	}
	if cap(s.cbs) < cw {
		s.cbs, s.crs = make([]uint32, cw), make([]uint32, cw)
	}
	ys, cbs, crs := s.ys[:sw], s.cbs[:cw], s.crs[:cw]
	for y := 0; y < fh; y++ {
		y0 := y * sh / fh
		y1 := max((y+1)*sh/fh, y0+1)
		clear(ys)
		for sy := y0; sy < y1; sy++ {
			o := (b.Min.Y+sy-im.Rect.Min.Y)*im.YStride + b.Min.X - im.Rect.Min.X
			for i, v := range im.Y[o : o+sw] {
				ys[i] += uint32(v)
			}
		}
		// The chroma rows under luma rows y0..y1 of the frame, each
		// weighted by how many of those rows it covers (a chroma sample
		// is 2×2 luma pixels).
		ay0, ay1 := b.Min.Y+y0, b.Min.Y+y1
		clear(cbs)
		clear(crs)
		var nc uint32
		for acy := ay0 / 2; acy <= (ay1-1)/2; acy++ {
			wy := uint32(min(2*acy+2, ay1) - max(2*acy, ay0))
			nc += wy
			o := (acy-im.Rect.Min.Y/2)*im.CStride + cx0 - im.Rect.Min.X/2
			cb, cr := im.Cb[o:o+cw], im.Cr[o:o+cw]
			for i := range cbs {
				cbs[i] += wy * uint32(cb[i])
				crs[i] += wy * uint32(cr[i])
			}
		}
		ny := uint32(y1 - y0)
		drow := dst[y*stride:]
		for x := 0; x < fw; x++ {
			x0 := x * sw / fw
			x1 := max((x+1)*sw/fw, x0+1)
			var yy uint32
			for _, v := range ys[x0:x1] {
				yy += v
			}
			ax0, ax1 := b.Min.X+x0, b.Min.X+x1
			var cb, cr, n uint32
			for acx := ax0 / 2; acx <= (ax1-1)/2; acx++ {
				wx := uint32(min(2*acx+2, ax1) - max(2*acx, ax0))
				cb += wx * cbs[acx-cx0]
				cr += wx * crs[acx-cx0]
				n += wx
			}
			n *= nc
			r, g, bl := ycbcrToRGB((yy+ny*uint32(x1-x0)/2)/(ny*uint32(x1-x0)), (cb+n/2)/n, (cr+n/2)/n)
			drow[x*3], drow[x*3+1], drow[x*3+2] = r, g, bl
		}
	}
}

// ycbcrToRGB is color.YCbCrToRGB (JFIF's full-range conversion, which
// the rest of the program uses for VP8's frames too), inlined.
func ycbcrToRGB(y, cb, cr uint32) (byte, byte, byte) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := yy1 + 91881*cr1
	g := yy1 - 22554*cb1 - 46802*cr1
	b := yy1 + 116130*cb1
	return clamp16(r), clamp16(g), clamp16(b)
}

// clamp16 is a 16.16 fixed-point value as a byte, clamped.
func clamp16(v int32) byte {
	if uint32(v)&0xff000000 == 0 {
		return byte(v >> 16)
	}
	if v < 0 {
		return 0
	}
	return 255
}
