// Package termimg turns decoded video frames into terminal cells: half blocks
// coloured with truecolor or 256-colour SGR sequences, or a plain luminance ramp.
// It does no I/O, and its output is ordinary styled text lines that a Bubble Tea
// View can print as they are.
package termimg

import (
	"image"
	"image/color"
	"sync"
)

// Profile is what colours the terminal takes; values other than the constants below draw as TrueColor.
type Profile int

const (
	// TrueColor colours cells with 24-bit SGR sequences.
	TrueColor Profile = iota
	// ANSI256 colours cells with the nearest xterm 6×6×6 cube or grey-ramp entry.
	ANSI256
	// ASCII uses no colour: one character per cell from a luminance ramp.
	ASCII
)

// asciiRamp runs from dark to light; a cell takes the character for the
// luminance of the average of its two pixels.
const asciiRamp = " .:-=+*#%@"

// rendererPool lets Render reuse buffers across calls and goroutines.
var rendererPool = sync.Pool{New: func() any { return new(Renderer) }}

// Render draws img into a cols×rows cell block and returns rows lines, each exactly cols cells wide.
//
// Lines carry no trailing newline and reset colours at their end, so they can
// be joined with borders around them. The image is scaled by area averaging
// (box filter) to fit inside the block, keeping its aspect, and centred; the
// rest of the block is filled with bg. A cell is about twice as tall as wide,
// so a cols×rows block is cols×(2*rows) square pixels. Transparent pixels are
// composited over bg.
func Render(img image.Image, cols, rows int, p Profile, bg color.RGBA) []string {
	r := rendererPool.Get().(*Renderer)
	lines := r.Render(img, cols, rows, p, bg)
	rendererPool.Put(r)
	return lines
}

// A Renderer reuses buffers between frames; its zero value is ready, and it is not safe for concurrent use.
//
// Once warm, Render allocates twice per call whatever the size: one string
// holding every line, and the slice of lines cut from it.
type Renderer struct {
	pix  []uint32 // the cols×2rows pixel block, 0xRRGGBB (or an xterm index)
	xs   []span   // source columns averaged into each destination column
	ys   []span   // source rows averaged into each destination row
	col  []uint32 // per-source-column sums over the current span of rows: Y or RGBA bytes
	ccb  []uint32 // the same for Cb
	ccr  []uint32 // the same for Cr
	refs []rowRef // the rows of the current span
	div  divider  // reciprocal of the last box area
	cw   []cspan  // chroma columns (and weights) behind each destination column
	out  []byte
	ends []int
}

// span is a half-open range [lo, hi) of source pixels.
type span struct{ lo, hi int }

// layout places the scaled image inside the block: a dw×dh image at (ox, oy)
// in a w×h pixel block, from an iw×ih source.
type layout struct {
	w, h, dw, dh, ox, oy, iw, ih int
}

// Render draws img into a cols×rows cell block like the package-level Render, reusing r's buffers.
func (r *Renderer) Render(img image.Image, cols, rows int, p Profile, bg color.RGBA) []string {
	if rows <= 0 {
		return nil
	}
	if cols <= 0 {
		return make([]string, rows)
	}
	l := layout{w: cols, h: 2 * rows}
	r.pix = grow(r.pix, l.w*l.h)
	pix := r.pix[:l.w*l.h]
	bgv := pack(bg.R, bg.G, bg.B)
	for i := range pix {
		pix[i] = bgv
	}
	if img != nil {
		b := img.Bounds()
		l.iw, l.ih = b.Dx(), b.Dy()
		if l.iw > 0 && l.ih > 0 {
			l.dw, l.dh = fit(l.iw, l.ih, l.w, l.h)
			l.ox, l.oy = (l.w-l.dw)/2, (l.h-l.dh)/2
			r.xs = spans(r.xs, l.iw, l.dw)
			r.ys = spans(r.ys, l.ih, l.dh)
			r.scale(img, &l, bg)
		}
	}
	return r.emit(cols, rows, p)
}

// scale averages img into the image area of r.pix, through the fastest path
// that knows img's pixel layout.
func (r *Renderer) scale(img image.Image, l *layout, bg color.RGBA) {
	switch m := img.(type) {
	case *image.YCbCr:
		if ycbcrFast(m) {
			r.scaleYCbCr(m, l)
			return
		}
	case *image.RGBA:
		r.scaleRGBA(m, l, bg)
		return
	}
	r.scaleGeneric(img, l, bg)
}

// fit returns the largest size with iw:ih's aspect (rounded) that fits in w×h.
func fit(iw, ih, w, h int) (dw, dh int) {
	if iw*h <= ih*w {
		dh = h
		dw = (2*iw*h + ih) / (2 * ih)
	} else {
		dw = w
		dh = (2*ih*w + iw) / (2 * iw)
	}
	return min(max(dw, 1), w), min(max(dh, 1), h)
}

// spans maps n source pixels onto d destination pixels. Shrinking, each
// destination pixel averages its own run of sources (the runs partition the
// source); growing, it takes the source under its centre.
func spans(buf []span, n, d int) []span {
	buf = grow(buf, d)[:d]
	if n >= d {
		for i := range buf {
			buf[i] = span{i * n / d, (i + 1) * n / d}
		}
		return buf
	}
	for i := range buf {
		lo := (2*i + 1) * n / (2 * d)
		buf[i] = span{lo, lo + 1}
	}
	return buf
}

// grow returns buf with room for at least n elements, reusing it if it can.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

func pack(r, g, b uint8) uint32 { return uint32(r)<<16 | uint32(g)<<8 | uint32(b) }

// emit turns r.pix into rows lines of cols cells.
func (r *Renderer) emit(cols, rows int, p Profile) []string {
	pix := r.pix[:cols*2*rows]
	out := r.out[:0]
	r.ends = grow(r.ends, rows)
	ends := r.ends[:rows]
	switch p {
	case ASCII:
		for y := range rows {
			top := pix[2*y*cols : (2*y+1)*cols]
			bot := pix[(2*y+1)*cols : (2*y+2)*cols]
			bot = bot[:len(top)]
			for x, t := range top {
				out = append(out, asciiRamp[rampIndex(t, bot[x])])
			}
			ends[y] = len(out)
		}
	default:
		c256 := p == ANSI256
		if c256 {
			toANSI256(pix)
		}
		for y := range rows {
			out = appendCells(out, pix[2*y*cols:(2*y+1)*cols], pix[(2*y+1)*cols:(2*y+2)*cols], c256)
			out = append(out, sgrReset...)
			ends[y] = len(out)
		}
	}
	r.out = out
	s := string(out)
	lines := make([]string, rows)
	start := 0
	for i, e := range ends {
		lines[i] = s[start:e]
		start = e
	}
	return lines
}

// rampIndex picks the ASCII ramp character for the average of two pixels.
func rampIndex(a, b uint32) int {
	r := (a>>16&0xff + b>>16&0xff)
	g := (a>>8&0xff + b>>8&0xff)
	bl := (a&0xff + b&0xff)
	// Rec. 601 luma of the average, 0..510 scaled by 256.
	lum := (77*r + 150*g + 29*bl) >> 8
	return int(lum * uint32(len(asciiRamp)) / 511)
}
