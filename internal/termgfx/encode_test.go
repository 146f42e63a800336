package termgfx

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"
)

// kittyCommands splits kitty graphics output into its commands' control
// data and payloads.
func kittyCommands(t *testing.T, out []byte) (ctrls []string, payload []byte) {
	t.Helper()
	s := string(out)
	for {
		i := strings.Index(s, "\x1b_G")
		if i < 0 {
			return ctrls, payload
		}
		end := strings.Index(s[i:], "\x1b\\")
		if end < 0 {
			t.Fatalf("unterminated kitty command in %q", s[i:])
		}
		body := s[i+3 : i+end]
		ctrl, data, _ := strings.Cut(body, ";")
		ctrls = append(ctrls, ctrl)
		if len(data) > kittyChunk {
			t.Errorf("a chunk carries %d bytes of base64, the protocol allows %d", len(data), kittyChunk)
		}
		dec, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			t.Fatalf("chunk payload is not base64: %v", err)
		}
		payload = append(payload, dec...)
		s = s[i+end+2:]
	}
}

func TestKittyImage(t *testing.T) {
	for _, size := range []image.Point{{1, 1}, {64, 48}, {400, 300}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			rgb := make([]byte, size.X*size.Y*3)
			for i := range rgb {
				rgb[i] = byte(i * 7)
			}
			out := AppendKittyImage(nil, 77, 3, 5, 20, 10, rgb, size.X, size.Y, 0)
			if !bytes.HasPrefix(out, []byte("\x1b7\x1b[6;4H")) || !bytes.HasSuffix(out, []byte("\x1b8")) {
				t.Errorf("not placed at row 6, column 4 with the cursor saved and restored: %q…%q", out[:12], out[len(out)-4:])
			}
			ctrls, payload := kittyCommands(t, out)
			if !bytes.Equal(payload, rgb) {
				t.Fatalf("the chunks carry %d bytes that are not the picture's %d", len(payload), len(rgb))
			}
			first := ctrls[0]
			for _, want := range []string{"a=T", "f=24", "q=2", "C=1", "i=77", "c=20", "r=10", fmt.Sprintf("s=%d", size.X), fmt.Sprintf("v=%d", size.Y)} {
				if !strings.Contains(","+first+",", ","+want+",") {
					t.Errorf("first command %q lacks %s", first, want)
				}
			}
			for i, c := range ctrls {
				wantM := "m=1"
				if i == len(ctrls)-1 {
					wantM = "m=0"
				}
				if !strings.HasSuffix(c, wantM) {
					t.Errorf("command %d of %d is %q, want it to end %s", i+1, len(ctrls), c, wantM)
				}
				if i > 0 && c != wantM {
					t.Errorf("a continuation chunk carries keys: %q", c)
				}
			}
		})
	}
}

// decodeSixel reads a sixel image as palette indices, with the palette.
func decodeSixel(t *testing.T, out []byte) (w, h int, pix []int, pal map[int][3]int) {
	t.Helper()
	s := string(out)
	start := strings.Index(s, "\x1bP")
	end := strings.Index(s, "\x1b\\")
	if start < 0 || end < start {
		t.Fatalf("no DCS … ST in %q", s)
	}
	s = s[start+2 : end]
	q := strings.IndexByte(s, 'q')
	s = s[q+1:]
	if !strings.HasPrefix(s, "\"1;1;") {
		t.Fatalf("no raster attributes with square pixels: %q", s[:min(20, len(s))])
	}
	num := func() int {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		n, _ := strconv.Atoi(s[:i])
		s = s[i:]
		return n
	}
	s = s[5:]
	w = num()
	s = s[1:]
	h = num()
	pix = make([]int, w*h)
	for i := range pix {
		pix[i] = -1
	}
	pal = map[int][3]int{}
	x, band, colour := 0, 0, 0
	for len(s) > 0 {
		switch c := s[0]; {
		case c == '#':
			s = s[1:]
			colour = num()
			if strings.HasPrefix(s, ";2;") {
				s = s[3:]
				r := num()
				s = s[1:]
				g := num()
				s = s[1:]
				b := num()
				pal[colour] = [3]int{r, g, b}
			}
		case c == '$':
			x, s = 0, s[1:]
		case c == '-':
			x, band, s = 0, band+1, s[1:]
		case c == '!':
			s = s[1:]
			n := num()
			v := int(s[0]) - 63
			s = s[1:]
			for k := 0; k < n; k++ {
				setSixel(pix, w, h, x, band, v, colour)
				x++
			}
		case c >= 63 && c <= 126:
			setSixel(pix, w, h, x, band, int(c)-63, colour)
			x, s = x+1, s[1:]
		default:
			t.Fatalf("unexpected %q in sixel data", c)
		}
	}
	return w, h, pix, pal
}

func setSixel(pix []int, w, h, x, band, v, colour int) {
	for dy := 0; dy < 6; dy++ {
		if v&(1<<dy) != 0 {
			if y := band*6 + dy; x < w && y < h {
				pix[y*w+x] = colour
			}
		}
	}
}

func TestSixelRoundTrip(t *testing.T) {
	// Flat colours of the cube come back exactly; every pixel is set
	// once.
	w, h := 37, 25 // not a multiple of 6 rows
	rgb := make([]byte, w*h*3)
	colours := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}, {0, 0, 0, 255}}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := colours[(x/8+y/5)%len(colours)]
			i := (y*w + x) * 3
			rgb[i], rgb[i+1], rgb[i+2] = c.R, c.G, c.B
		}
	}
	for _, n := range []int{0, 1024, 16} {
		t.Run(fmt.Sprint(n, " registers"), func(t *testing.T) {
			e := SixelEncoder{Colors: n}
			out := e.Append(nil, 0, 0, rgb, w, h)
			gw, gh, pix, pal := decodeSixel(t, out)
			if gw != w || gh != h {
				t.Fatalf("size %dx%d, want %dx%d", gw, gh, w, h)
			}
			if len(pal) > max(n, 256) || (n > 0 && len(pal) > n) {
				t.Errorf("%d palette entries for %d registers", len(pal), n)
			}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					got := pix[y*w+x]
					if got < 0 {
						t.Fatalf("pixel (%d,%d) not drawn", x, y)
					}
					c := colours[(x/8+y/5)%len(colours)]
					want := [3]int{int(c.R) * 100 / 255, int(c.G) * 100 / 255, int(c.B) * 100 / 255}
					if pal[got] != want {
						t.Fatalf("pixel (%d,%d) is %v%%, want %v%%", x, y, pal[got], want)
					}
				}
			}
		})
	}
}

// Mid tones are dithered: a flat grey between two levels of the cube
// comes out as a mix of both, averaging close to it.
func TestSixelDithers(t *testing.T) {
	w, h := 24, 24
	rgb := bytes.Repeat([]byte{128, 128, 128}, w*h)
	e := SixelEncoder{}
	_, _, pix, pal := decodeSixel(t, e.Append(nil, 0, 0, rgb, w, h))
	seen := map[int]bool{}
	sum := 0
	for _, p := range pix {
		seen[p] = true
		sum += pal[p][0]
	}
	if len(seen) < 2 {
		t.Errorf("flat grey drawn in %d colour, want a dither of at least 2", len(seen))
	}
	if avg := sum / len(pix); avg < 45 || avg > 56 {
		t.Errorf("average red %d%%, want about 50%%", avg)
	}
}

func TestScalerFit(t *testing.T) {
	// A 4:3 picture in a wide box is centred with bars of bg.
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 200, 255
	}
	var s Scaler
	bg := color.RGBA{1, 2, 3, 255}
	out := s.Fit(img, 80, 30, bg)
	at := func(x, y int) [3]byte { i := (y*80 + x) * 3; return [3]byte{out[i], out[i+1], out[i+2]} }
	if got := at(5, 15); got != [3]byte{1, 2, 3} {
		t.Errorf("left bar is %v, want the background", got)
	}
	if got := at(40, 15); got != [3]byte{200, 0, 0} {
		t.Errorf("centre is %v, want the picture's red", got)
	}
	if got := at(75, 15); got != [3]byte{1, 2, 3} {
		t.Errorf("right bar is %v, want the background", got)
	}
	if w, h := NativeBox(1000, 500, 320, 240); w != 480 || h != 240 {
		t.Errorf("NativeBox(1000x500, 320x240) = %dx%d, want 480x240 (the box's shape at the picture's own height)", w, h)
	}
	if w, h := NativeBox(300, 200, 1920, 1080); w != 300 || h != 200 {
		t.Errorf("NativeBox(300x200, 1920x1080) = %dx%d, want the box", w, h)
	}
	// A camera a little larger than its slot is sent at its own size, in
	// a box of the slot's shape (the terminal scales it down).
	if w, h := NativeBox(336, 238, 320, 240); w != 339 || h != 240 {
		t.Errorf("NativeBox(336x238, 320x240) = %dx%d, want 339x240 (the frame at its own height)", w, h)
	}
	if w, h := NativeBox(300, 300, 320, 240); w != 320 || h != 320 {
		t.Errorf("NativeBox(300x300, 320x240) = %dx%d, want 320x320 (the frame at its own width)", w, h)
	}
}

// A 4:2:0 frame (what the VP8 decoder gives) is scaled from its planes:
// the picture must be the one converting it to RGB first gives, within
// rounding, at every size the painter asks for, sub-images included.
func TestScalerFitYCbCr(t *testing.T) {
	// Gradients and flat blocks with hard edges, in the RGB gamut (as a
	// camera's picture is).
	rgb := image.NewRGBA(image.Rect(0, 0, 96, 72))
	for y := 0; y < 72; y++ {
		for x := 0; x < 96; x++ {
			c := color.RGBA{byte(x * 255 / 95), byte(y * 255 / 71), 128, 255}
			if (x/16+y/12)%3 == 0 {
				c = color.RGBA{200, 40, 30, 255}
			}
			rgb.SetRGBA(x, y, c)
		}
	}
	full := as420(rgb)
	frames := map[string]*image.YCbCr{
		"whole":     full,
		"sub-image": full.SubImage(image.Rect(11, 7, 91, 67)).(*image.YCbCr),
	}
	for name, yc := range frames {
		rgba := image.NewRGBA(yc.Bounds())
		for y := yc.Rect.Min.Y; y < yc.Rect.Max.Y; y++ {
			for x := yc.Rect.Min.X; x < yc.Rect.Max.X; x++ {
				rgba.Set(x, y, yc.At(x, y))
			}
		}
		for _, box := range []image.Point{yc.Rect.Size(), {40, 30}, {17, 13}, {200, 150}, {96, 30}} {
			var fast, slow Scaler
			got := fast.Fit(yc, box.X, box.Y, color.RGBA{1, 2, 3, 255})
			want := slow.Fit(rgba, box.X, box.Y, color.RGBA{1, 2, 3, 255})
			worst := 0
			for i := range want {
				worst = max(worst, abs(int(got[i])-int(want[i])))
			}
			// Averaging before or after the conversion differs by
			// rounding, and by clamping where 4:2:0 chroma puts an edge pixel out of gamut.
			if worst > 6 {
				t.Errorf("%s in %v: a channel differs by %d from converting first, want ≤ 6", name, box, worst)
			}
			if box == yc.Rect.Size() && worst > 1 {
				t.Errorf("%s at its own size: a channel differs by %d, want the same picture", name, worst)
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// A part of a picture is the same pixels (the same dither) as that part
// of the whole picture.
func TestSixelPart(t *testing.T) {
	w, h := 40, 36
	rgb := make([]byte, w*h*3)
	for i := range rgb {
		rgb[i] = byte(i * 7 % 251)
	}
	var e SixelEncoder
	_, _, whole, _ := decodeSixel(t, e.Append(nil, 0, 0, rgb, w, h))
	part := image.Rect(10, 12, 30, 36)
	out := e.AppendPart(nil, 3, 4, rgb, w, h, part)
	if !bytes.HasPrefix(out, []byte("\x1b7\x1b[5;4H")) {
		t.Errorf("the part is not drawn at the cell asked (row 5, column 4): %q", out[:12])
	}
	pw, ph, pix, _ := decodeSixel(t, out)
	if pw != part.Dx() || ph != part.Dy() {
		t.Fatalf("the part is %dx%d, want %v", pw, ph, part.Size())
	}
	for y := 0; y < ph; y++ {
		for x := 0; x < pw; x++ {
			if got, want := pix[y*pw+x], whole[(part.Min.Y+y)*w+part.Min.X+x]; got != want {
				t.Fatalf("pixel (%d,%d) of the part is colour %d, the whole picture has %d there", x, y, got, want)
			}
		}
	}
}

func TestChangedCells(t *testing.T) {
	w, h := 40, 36
	cell := image.Pt(10, 12)
	was := make([]byte, w*h*3)
	now := bytes.Clone(was)
	if r := changedCells(was, now, w, h, cell); !r.Empty() {
		t.Errorf("the same picture changed %v, want nothing", r)
	}
	now[(17*w+23)*3+1] = 9 // one pixel's green, at (23, 17)
	if r, want := changedCells(was, now, w, h, cell), image.Rect(20, 12, 30, 24); r != want {
		t.Errorf("one pixel at (23,17) changed %v, want its cell %v", r, want)
	}
	now[(35*w+39)*3] = 9 // and the last pixel: the rectangle reaches the picture's edge
	if r, want := changedCells(was, now, w, h, cell), image.Rect(20, 12, 40, 36); r != want {
		t.Errorf("two pixels changed %v, want %v", r, want)
	}
}
