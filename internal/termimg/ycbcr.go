package termimg

import "image"

// cspan says which chroma samples lie under a destination column and how many
// luma columns each stands for: c0 with weight w0, c1 with weight w1 and every
// sample between them with the full subsampling factor. c0 == c1 means one
// sample of weight w0.
type cspan struct{ c0, c1, w0, w1 int }

// subsampling returns the horizontal and vertical chroma subsampling factors,
// as image.YCbCr.COffset uses them.
func subsampling(r image.YCbCrSubsampleRatio) (h, v int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// ycbcrFast reports whether m's planes can be read directly: a non-negative
// origin (so chroma groups are whole) and planes as long as the rectangle needs.
// Anything else goes through At, which behaves as the standard library does.
func ycbcrFast(m *image.YCbCr) bool {
	r := m.Rect
	if r.Min.X < 0 || r.Min.Y < 0 || r.Empty() {
		return false
	}
	w, h := r.Dx(), r.Dy()
	hs, vs := subsampling(m.SubsampleRatio)
	cw := (r.Max.X-1)/hs - r.Min.X/hs + 1
	ch := (r.Max.Y-1)/vs - r.Min.Y/vs + 1
	return m.YStride >= w && m.CStride >= cw &&
		len(m.Y) >= (h-1)*m.YStride+w &&
		len(m.Cb) >= (ch-1)*m.CStride+cw && len(m.Cr) >= (ch-1)*m.CStride+cw
}

// scaleYCbCr box-filters m into the image area of r.pix. It averages Y, Cb and
// Cr separately and converts each destination pixel once: the conversion is
// affine, so this equals averaging converted pixels except where a pixel's
// colour would have been clipped. Chroma samples are weighted by the luma
// pixels they cover, so a box that splits a chroma pair counts half of it.
func (r *Renderer) scaleYCbCr(m *image.YCbCr, l *layout) {
	hs, vs := subsampling(m.SubsampleRatio)
	minX, minY := m.Rect.Min.X, m.Rect.Min.Y
	cx0, cy0 := minX/hs, minY/vs
	iw := l.iw
	cw := (iw-1+minX)/hs - cx0 + 1

	r.cw = grow(r.cw, l.dw)
	cs := r.cw[:len(r.xs)]
	for i, s := range r.xs {
		c0 := (s.lo+minX)/hs - cx0
		c1 := (s.hi-1+minX)/hs - cx0
		if c0 == c1 {
			cs[i] = cspan{c0, c1, s.hi - s.lo, 0}
		} else {
			cs[i] = cspan{c0, c1, hs - (s.lo+minX)%hs, (s.hi-1+minX)%hs + 1}
		}
	}

	r.col = grow(r.col, iw)
	r.ccb = grow(r.ccb, cw)
	r.ccr = grow(r.ccr, cw)
	col, ccb, ccr := r.col[:iw], r.ccb[:cw], r.ccr[:cw]
	for dy, sy := range r.ys {
		refs := r.refs[:0]
		for y := sy.lo; y < sy.hi; y++ {
			refs = append(refs, rowRef{y * m.YStride, 1})
		}
		sumColumns(col, m.Y, refs)
		// Each chroma row counts once per luma row of the span it covers.
		refs = refs[:0]
		for c := (sy.lo+minY)/vs - cy0; c <= (sy.hi-1+minY)/vs-cy0; c++ {
			top := max(sy.lo+minY, (c+cy0)*vs)
			bottom := min(sy.hi+minY, (c+cy0+1)*vs)
			refs = append(refs, rowRef{c * m.CStride, bottom - top})
		}
		sumColumns(ccb, m.Cb, refs)
		sumColumns(ccr, m.Cr, refs)
		r.refs = refs

		rows := sy.hi - sy.lo
		dst := r.pix[(l.oy+dy)*l.w+l.ox:][:len(r.xs)]
		// Flat areas (screen shares, letterboxed video, the test pattern)
		// repeat the same sums: reuse the last conversion.
		var lastY, lastCb, lastCr, lastN uint64
		lastRGB := noColour
		for dx, sx := range r.xs {
			var sumY uint64
			for _, v := range col[sx.lo:sx.hi] {
				sumY += uint64(v)
			}
			c := cs[dx]
			sumCb, sumCr := uint64(ccb[c.c0])*uint64(c.w0), uint64(ccr[c.c0])*uint64(c.w0)
			if c.c1 != c.c0 {
				sumCb += uint64(ccb[c.c1]) * uint64(c.w1)
				sumCr += uint64(ccr[c.c1]) * uint64(c.w1)
				var midCb, midCr uint64
				for k := c.c0 + 1; k < c.c1; k++ {
					midCb += uint64(ccb[k])
					midCr += uint64(ccr[k])
				}
				sumCb += midCb * uint64(hs)
				sumCr += midCr * uint64(hs)
			}
			n := uint64(rows * (sx.hi - sx.lo))
			if lastRGB == noColour || sumY != lastY || sumCb != lastCb || sumCr != lastCr || n != lastN {
				d := r.div.by(n)
				lastRGB = yccToRGB(d.avg256(sumY), d.avg256(sumCb), d.avg256(sumCr))
				lastY, lastCb, lastCr, lastN = sumY, sumCb, sumCr, n
			}
			dst[dx] = lastRGB
		}
	}
}

// divider divides by n with a multiplication: a box filter divides every
// destination pixel's sums by its area, and a hardware divide per channel
// would cost more than all the other arithmetic of the pixel. Boxes have at
// most four distinct areas (two widths by two heights), so by caches the
// reciprocal of the last one.
type divider struct {
	n   uint64
	inv uint64 // ceil(2^40 / n)
}

// by returns a divider for n, recomputing the reciprocal only when n changes.
func (d *divider) by(n uint64) divider {
	if n != d.n {
		d.n, d.inv = n, (1<<40+n-1)/n
	}
	return *d
}

// avg256 is sum/n in fixed point with 8 fractional bits, rounded. The
// reciprocal can overshoot by one unit (1/256 of a level) for huge boxes, which
// is invisible; sums stay far below the 2^64/2^40 limit of any real image.
func (d divider) avg256(sum uint64) int64 {
	return int64(((sum<<8 + d.n/2) * d.inv) >> 40)
}

// avg is sum/n, rounded.
func (d divider) avg(sum uint64) uint64 {
	return ((sum + d.n/2) * d.inv) >> 40
}

// yccToRGB converts JFIF Y'CbCr, each scaled by 256, to packed 0xRRGGBB with the
// coefficients of image/color (1.402, 0.34414, 0.71414, 1.772 in 16.16 fixed point).
func yccToRGB(y, cb, cr int64) uint32 {
	cb -= 128 << 8
	cr -= 128 << 8
	r := y + (91881*cr)>>16
	g := y - (22554*cb+46802*cr)>>16
	b := y + (116130*cb)>>16
	return uint32(clamp8((r+128)>>8))<<16 | uint32(clamp8((g+128)>>8))<<8 | uint32(clamp8((b+128)>>8))
}

func clamp8(v int64) uint8 {
	return uint8(min(max(v, 0), 255))
}
