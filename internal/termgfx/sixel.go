package termgfx

import (
	"image"
	"strconv"
)

// SixelEncoder turns RGB pictures into sixel images with a fixed colour
// cube and ordered (Bayer) dithering. A fixed palette suits video: the
// same colour stays the same register from frame to frame (no palette
// flicker, no per-frame colour search), and ordered dithering does not
// crawl between frames the way error diffusion does. Its zero value
// uses 252 colours; it is not safe for concurrent use.
type SixelEncoder struct {
	// Colors is how many colour registers the terminal has (0: 256).
	Colors int

	levels  [3]int
	lut     [3][16][256]byte // channel, threshold, value → level
	palette []byte           // "#i;2;r;g;b" for every colour
	idx     []byte           // the picture as palette indices
	bits    []byte           // per colour, per column: the band's six bits
	lo, hi  []int            // per colour: the band's first and last column
	used    []int            // colours present in the band
}

// cubes are the colour cubes tried, largest first: levels of red, green
// and blue (the eye tells greens apart best).
var cubes = [][3]int{{6, 7, 6}, {6, 6, 6}, {5, 5, 5}, {4, 4, 4}, {3, 3, 3}, {2, 3, 2}, {2, 2, 2}}

// bayer4 is the 4×4 ordered-dither matrix.
var bayer4 = [16]int{0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5}

func (e *SixelEncoder) setup() {
	n := e.Colors
	if n <= 0 {
		n = 256
	}
	lv := cubes[len(cubes)-1]
	for _, c := range cubes {
		if c[0]*c[1]*c[2] <= n {
			lv = c
			break
		}
	}
	if lv == e.levels && e.palette != nil {
		return
	}
	e.levels = lv
	for ch := 0; ch < 3; ch++ {
		L := lv[ch]
		for t := 0; t < 16; t++ {
			th := (float64(t) + 0.5) / 16
			for v := 0; v < 256; v++ {
				q := int(float64(v)*float64(L-1)/255 + th)
				e.lut[ch][t][v] = byte(min(q, L-1))
			}
		}
	}
	e.palette = e.palette[:0]
	i := 0
	for r := 0; r < lv[0]; r++ {
		for g := 0; g < lv[1]; g++ {
			for b := 0; b < lv[2]; b++ {
				e.palette = append(e.palette, '#')
				e.palette = strconv.AppendInt(e.palette, int64(i), 10)
				e.palette = append(e.palette, ";2;"...)
				e.palette = strconv.AppendInt(e.palette, int64(r*100/(lv[0]-1)), 10)
				e.palette = append(e.palette, ';')
				e.palette = strconv.AppendInt(e.palette, int64(g*100/(lv[1]-1)), 10)
				e.palette = append(e.palette, ';')
				e.palette = strconv.AppendInt(e.palette, int64(b*100/(lv[2]-1)), 10)
				i++
			}
		}
	}
}

// NumColors is how many palette entries the encoder uses.
func (e *SixelEncoder) NumColors() int {
	e.setup()
	return e.levels[0] * e.levels[1] * e.levels[2]
}

// Append appends a sixel image of the w×h RGB picture drawn with its
// top-left corner at the cell (col, row) (0-based), the cursor saved and
// restored around it.
func (e *SixelEncoder) Append(b []byte, col, row int, rgb []byte, w, h int) []byte {
	return e.AppendPart(b, col, row, rgb, w, h, image.Rect(0, 0, w, h))
}

// AppendPart appends the part r of the picture Append would draw: r's
// top-left pixel goes to the top-left of the cell (col, row), so r should
// start on a cell's corner of the picture. The dither is the whole
// picture's, so a part drawn over the same picture's older frame matches
// what is round it.
func (e *SixelEncoder) AppendPart(b []byte, col, row int, rgb []byte, pw, ph int, r image.Rectangle) []byte {
	e.setup()
	r = r.Intersect(image.Rect(0, 0, pw, ph))
	w, h := r.Dx(), r.Dy()
	nc := e.levels[0] * e.levels[1] * e.levels[2]
	if len(e.idx) < w*h {
		e.idx = make([]byte, w*h)
	}
	lg, lb := e.levels[1], e.levels[2]
	for y := 0; y < h; y++ {
		py := r.Min.Y + y
		line := rgb[(py*pw+r.Min.X)*3 : (py*pw+r.Max.X)*3]
		out := e.idx[y*w : (y+1)*w]
		by := (py & 3) * 4
		for x := range out {
			t := bayer4[by+(r.Min.X+x)&3]
			red := int(e.lut[0][t][line[3*x]])
			g := int(e.lut[1][t][line[3*x+1]])
			bl := int(e.lut[2][t][line[3*x+2]])
			out[x] = byte((red*lg+g)*lb + bl)
		}
	}
	if len(e.bits) < nc*w {
		e.bits = make([]byte, nc*w)
	}
	if len(e.lo) < nc {
		e.lo, e.hi = make([]int, nc), make([]int, nc)
		for i := range e.lo {
			e.lo[i] = -1
		}
	}

	b = append(b, "\x1b7"...)
	b = appendCUP(b, col, row)
	b = append(b, "\x1bP0;1;0q\"1;1;"...)
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, e.palette...)
	for y0 := 0; y0 < h; y0 += 6 {
		e.used = e.used[:0]
		for dy := 0; dy < 6 && y0+dy < h; dy++ {
			bit := byte(1) << dy
			line := e.idx[(y0+dy)*w : (y0+dy+1)*w]
			for x, c := range line {
				ci := int(c)
				if e.lo[ci] < 0 {
					e.lo[ci], e.hi[ci] = x, x
					e.used = append(e.used, ci)
				} else {
					e.lo[ci] = min(e.lo[ci], x)
					e.hi[ci] = max(e.hi[ci], x)
				}
				e.bits[ci*w+x] |= bit
			}
		}
		for k, c := range e.used {
			if k > 0 {
				b = append(b, '$')
			}
			b = append(b, '#')
			b = strconv.AppendInt(b, int64(c), 10)
			bits := e.bits[c*w : (c+1)*w]
			lo, hi := e.lo[c], e.hi[c]
			if lo > 0 {
				b = appendRun(b, '?', lo)
			}
			for x := lo; x <= hi; {
				v := bits[x]
				n := 1
				for x+n <= hi && bits[x+n] == v {
					n++
				}
				b = appendRun(b, 63+v, n)
				x += n
			}
			clear(bits[lo : hi+1])
			e.lo[c] = -1
		}
		b = append(b, '-')
	}
	b = append(b, "\x1b\\"...)
	return append(b, "\x1b8"...)
}

// appendRun appends n sixels of ch, with a repeat introducer when that is
// shorter.
func appendRun(b []byte, ch byte, n int) []byte {
	if n > 3 {
		b = append(b, '!')
		b = strconv.AppendInt(b, int64(n), 10)
		return append(b, ch)
	}
	for ; n > 0; n-- {
		b = append(b, ch)
	}
	return b
}
