package termimg

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var (
	red    = color.RGBA{255, 0, 0, 255}
	green  = color.RGBA{0, 255, 0, 255}
	blue   = color.RGBA{0, 0, 255, 255}
	white  = color.RGBA{255, 255, 255, 255}
	black  = color.RGBA{0, 0, 0, 255}
	yellow = color.RGBA{255, 255, 0, 255}
	orange = color.RGBA{255, 140, 0, 255}
	skin   = color.RGBA{255, 220, 180, 255}
	tileBg = color.RGBA{20, 22, 28, 255}
)

// solid returns a w×h image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Rect, c)
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// bars returns w×h vertical bars: red, green, blue, white from left to right.
func bars(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cs := []color.RGBA{red, green, blue, white}
	for x := range w {
		fill(img, image.Rect(x, 0, x+1, h), cs[x*4/w])
	}
	return img
}

// pattern draws something like the media test pattern: colour bars on top,
// an orange label bottom-left with a disc in it (round edges make the half
// blocks and averaged colours that flat bars never need), and bottom-right a
// yellow block over a row of black and white counter cells.
func pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	cs := []color.RGBA{red, green, blue, white}
	for x := range w {
		fill(img, image.Rect(x, 0, x+1, h/2), cs[x*4/w])
	}
	fill(img, image.Rect(0, h/2, w/2, h), orange)
	cx, cy, rad := w/4, h*3/4, h/6
	for y := cy - rad; y <= cy+rad; y++ {
		for x := cx - rad; x <= cx+rad; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad {
				img.SetRGBA(x, y, skin)
			}
		}
	}
	fill(img, image.Rect(w/2, h/2, w, h), black)
	qh := h - h/2
	block := qh / 3
	fill(img, image.Rect(w/2+w/10, h/2+qh/6, w/2+w/10+block, h/2+qh/6+block), yellow)
	cell := (w - w/2) / 16
	for i := range 16 {
		if i%3 == 0 || i%5 == 1 {
			fill(img, image.Rect(w/2+i*cell, h/2+qh*2/3, w/2+(i+1)*cell, h), white)
		}
	}
	return img
}

// gradient returns an image whose every pixel differs from its neighbours.
func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{
				uint8(x * 255 / max(w-1, 1)),
				uint8(y * 255 / max(h-1, 1)),
				uint8(255 - (x+y)*255/max(w+h-2, 1)),
				255,
			})
		}
	}
	return img
}

// toYCbCr converts src to Y'CbCr with the given subsampling, averaging the
// chroma of the pixels each sample covers, as an encoder would.
func toYCbCr(src *image.RGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	b := src.Bounds()
	m := image.NewYCbCr(b, ratio)
	type acc struct{ cb, cr, n int }
	sums := map[int]*acc{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			m.Y[m.YOffset(x, y)] = yy
			o := m.COffset(x, y)
			a := sums[o]
			if a == nil {
				a = &acc{}
				sums[o] = a
			}
			a.cb += int(cb)
			a.cr += int(cr)
			a.n++
		}
	}
	for o, a := range sums {
		m.Cb[o] = uint8((a.cb + a.n/2) / a.n)
		m.Cr[o] = uint8((a.cr + a.n/2) / a.n)
	}
	return m
}

// opaque hides an image's concrete type, forcing the generic At path.
type opaque struct{ image.Image }

// colour is a parsed SGR colour: -1 unset, 0xRRGGBB for truecolor, or
// paletteBit|N for a 256-colour index.
type colour int

const (
	unset      colour = -1
	paletteBit colour = 1 << 24
)

func rgb(c color.RGBA) colour { return colour(pack(c.R, c.G, c.B)) }

func (c colour) String() string {
	switch {
	case c == unset:
		return "unset"
	case c&paletteBit != 0:
		return fmt.Sprintf("idx%d", int(c&^paletteBit))
	}
	return fmt.Sprintf("#%06x", int(c))
}

// cell is one decoded terminal cell.
type cell struct {
	ch     rune
	fg, bg colour
}

// parseLine decodes one rendered line into cells, failing the test on any
// escape sequence other than the SGR forms termimg emits.
func parseLine(t testing.TB, line string) []cell {
	t.Helper()
	var cells []cell
	fg, bg := unset, unset
	for i := 0; i < len(line); {
		if line[i] != 0x1b {
			r, n := utf8.DecodeRuneInString(line[i:])
			cells = append(cells, cell{r, fg, bg})
			i += n
			continue
		}
		end := strings.IndexByte(line[i:], 'm')
		if !strings.HasPrefix(line[i:], "\x1b[") || end < 0 {
			t.Fatalf("line %q: unexpected escape at %d", line, i)
		}
		params := strings.Split(line[i+2:i+end], ";")
		i += end + 1
		for k := 0; k < len(params); k++ {
			num := func(j int) int {
				if k+j >= len(params) {
					t.Fatalf("line %q: SGR %v ends early", line, params)
				}
				v, err := strconv.Atoi(params[k+j])
				if err != nil || v < 0 || v > 255 {
					t.Fatalf("line %q: bad SGR parameter %q", line, params[k+j])
				}
				return v
			}
			switch params[k] {
			case "0", "":
				fg, bg = unset, unset
			case "38", "48":
				layer := params[k]
				var c colour
				switch num(1) {
				case 2:
					c = colour(num(2)<<16 | num(3)<<8 | num(4))
					k += 4
				case 5:
					c = paletteBit | colour(num(2))
					k += 2
				default:
					t.Fatalf("line %q: bad colour form in %v", line, params)
				}
				if layer == "38" {
					fg = c
				} else {
					bg = c
				}
			default:
				t.Fatalf("line %q: unexpected SGR parameter %q", line, params[k])
			}
		}
	}
	return cells
}

// pixels decodes rendered half-block lines back into their pixel grid:
// cols × 2*rows colours.
func pixels(t testing.TB, lines []string) [][]colour {
	t.Helper()
	var grid [][]colour
	for _, line := range lines {
		if !strings.HasSuffix(line, sgrReset) {
			t.Fatalf("line %q does not end with a reset", line)
		}
		var top, bot []colour
		for _, c := range parseLine(t, line) {
			var u, d colour
			switch c.ch {
			case '▀':
				u, d = c.fg, c.bg
			case '▄':
				u, d = c.bg, c.fg
			case ' ':
				u, d = c.bg, c.bg
			case '█':
				u, d = c.fg, c.fg
			default:
				t.Fatalf("line %q: unexpected character %q", line, c.ch)
			}
			if u == unset || d == unset {
				t.Fatalf("line %q: cell %q uses a colour never set", line, c.ch)
			}
			top, bot = append(top, u), append(bot, d)
		}
		grid = append(grid, top, bot)
	}
	return grid
}

func channels(c colour) (r, g, b int) { return int(c >> 16 & 0xff), int(c >> 8 & 0xff), int(c & 0xff) }

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// near compares a rendered colour with the expected one: exactly, or within 2
// per channel for a Y'CbCr source, whose quantised planes cannot hold every
// RGB colour (pure red comes back as #fe0000).
func near(src image.Image, got, want colour) bool {
	if _, ok := src.(*image.YCbCr); !ok {
		return got == want
	}
	gr, gg, gb := channels(got)
	wr, wg, wb := channels(want)
	return absInt(gr-wr) <= 2 && absInt(gg-wg) <= 2 && absInt(gb-wb) <= 2
}
