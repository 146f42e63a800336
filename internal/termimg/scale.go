package termimg

import (
	"image"
	"image/color"
)

// scaleRGBA box-filters an *image.RGBA into the image area of r.pix, reading
// its pixel bytes directly.
func (r *Renderer) scaleRGBA(m *image.RGBA, l *layout, bg color.RGBA) {
	base := m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y)
	r.col = grow(r.col, 4*l.iw)
	col := r.col[:4*l.iw]
	for dy, sy := range r.ys {
		refs := r.refs[:0]
		for y := sy.lo; y < sy.hi; y++ {
			refs = append(refs, rowRef{base + y*m.Stride, 1})
		}
		r.refs = refs
		sumColumns(col, m.Pix, refs)
		r.finishRGBA(col, sy.hi-sy.lo, l, dy, bg)
	}
}

// scaleGeneric box-filters any image through At, for the types without a fast path.
func (r *Renderer) scaleGeneric(img image.Image, l *layout, bg color.RGBA) {
	iw := l.iw
	origin := img.Bounds().Min
	r.col = grow(r.col, 4*iw)
	col := r.col[:4*iw]
	for dy, sy := range r.ys {
		clear(col)
		for y := sy.lo; y < sy.hi; y++ {
			for x := range iw {
				cr, cg, cb, ca := img.At(origin.X+x, origin.Y+y).RGBA()
				c := col[4*x : 4*x+4]
				c[0] += cr >> 8
				c[1] += cg >> 8
				c[2] += cb >> 8
				c[3] += ca >> 8
			}
		}
		r.finishRGBA(col, sy.hi-sy.lo, l, dy, bg)
	}
}

// finishRGBA averages per-column sums of premultiplied R, G, B, A over each
// destination column's span and composites the result over bg.
func (r *Renderer) finishRGBA(col []uint32, rows int, l *layout, dy int, bg color.RGBA) {
	dst := r.pix[(l.oy+dy)*l.w+l.ox:][:len(r.xs)]
	for dx, sx := range r.xs {
		var sr, sg, sb, sa uint64
		for x := sx.lo; x < sx.hi; x++ {
			c := col[4*x : 4*x+4]
			sr += uint64(c[0])
			sg += uint64(c[1])
			sb += uint64(c[2])
			sa += uint64(c[3])
		}
		d := r.div.by(uint64(rows * (sx.hi - sx.lo)))
		a := min(d.avg(sa), 255)
		dst[dx] = pack(over(d.avg(sr), a, bg.R), over(d.avg(sg), a, bg.G), over(d.avg(sb), a, bg.B))
	}
}

// over composites an averaged premultiplied channel c with coverage a over bg.
func over(c, a uint64, bg uint8) uint8 {
	v := c + (uint64(bg)*(255-a)+127)/255
	return uint8(min(v, 255))
}
