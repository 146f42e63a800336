package media

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
)

// The pattern is built so that a test on the far side of an encoder, a network
// and a decoder can still tell what it got: large flat areas of known colour
// survive lossy coding, and the frame counter is made of cells big enough for
// VP8 at 250 kbps and 320x240.
var (
	barColours = [4]color.RGBA{
		{255, 0, 0, 255},
		{0, 255, 0, 255},
		{0, 0, 255, 255},
		{255, 255, 255, 255},
	}
	barNames     = [4]string{"red bar", "green bar", "blue bar", "white bar"}
	blockColour  = color.RGBA{255, 255, 0, 255}
	counterCells = 16
)

// DefaultLabel colours the test pattern when VideoOptions.Label is left zero.
var DefaultLabel = color.RGBA{255, 140, 0, 255}

// patternLayout is the geometry shared by Pattern, ReadCounter and
// CheckPattern, so the reader and the writer cannot drift apart.
type patternLayout struct {
	w, h           int
	qx, qy, qw, qh int // bottom-right quarter
	cellW          int
	cellY0, cellY1 int
	blockSize      int
	blockY         int
}

func layoutFor(w, h int) patternLayout {
	l := patternLayout{w: w, h: h}
	l.qx, l.qy = w/2, h/2
	l.qw, l.qh = w-l.qx, h-l.qy
	l.cellW = l.qw / counterCells
	l.cellY0 = l.qy + l.qh*2/3
	l.cellY1 = h
	l.blockSize = l.qh / 3
	l.blockY = l.qy + l.qh/6
	return l
}

// Pattern draws test-pattern frame number frame at w x h: colour bars on top,
// label bottom-left, and bottom-right a moving block above a 16-cell frame counter.
func Pattern(w, h int, frame uint32, label color.RGBA) *image.RGBA {
	w, h = max(w, 0), max(h, 0)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return img
	}
	l := layoutFor(w, h)
	label.A = 255

	for x := 0; x < w; x++ {
		fillRect(img, x, 0, x+1, l.qy, barColours[x*4/w])
	}
	fillRect(img, 0, l.qy, l.qx, h, label)
	fillRect(img, l.qx, l.qy, w, h, color.RGBA{0, 0, 0, 255})

	if span := l.qw - l.blockSize; span > 0 {
		// Three pixels a frame: visible motion at any rate, and a whole
		// sweep of a 160-pixel quarter takes a few seconds.
		bx := l.qx + int(uint64(frame)*3%uint64(span))
		fillRect(img, bx, l.blockY, bx+l.blockSize, l.blockY+l.blockSize, blockColour)
	}

	if l.cellW > 0 {
		// Gray code: consecutive frames differ in one cell, so a decoder
		// that updated only part of the counter still reads either the old
		// or the new number, never a third one.
		g := grayEncode(uint16(frame))
		for i := range counterCells {
			if g&(1<<(counterCells-1-i)) != 0 {
				x0 := l.qx + i*l.cellW
				fillRect(img, x0, l.cellY0, x0+l.cellW, l.cellY1, color.RGBA{255, 255, 255, 255})
			}
		}
	}
	return img
}

func fillRect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	for y := y0; y < y1; y++ {
		row := img.Pix[y*img.Stride:]
		for x := x0; x < x1; x++ {
			p := row[x*4 : x*4+4 : x*4+4]
			p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
		}
	}
}

// ReadCounter reads back the frame number (modulo 65536) from a decoded
// pattern; ok is false when a cell is neither clearly black nor clearly white.
func ReadCounter(img image.Image) (uint32, bool) {
	b := img.Bounds()
	l := layoutFor(b.Dx(), b.Dy())
	if l.cellW < 2 || l.cellY1-l.cellY0 < 2 {
		return 0, false
	}
	// Sample the middle of each cell: edges blur under lossy coding.
	mx := max(l.cellW/4, 0)
	my := (l.cellY1 - l.cellY0) / 4
	var g uint16
	for i := range counterCells {
		x0 := l.qx + i*l.cellW
		y := averageRGB(img, b.Min.X+x0+mx, b.Min.Y+l.cellY0+my, b.Min.X+x0+l.cellW-mx, b.Min.Y+l.cellY1-my)
		luma := (299*y[0] + 587*y[1] + 114*y[2]) / 1000
		switch {
		case luma >= 176:
			g |= 1 << (counterCells - 1 - i)
		case luma <= 80:
		default:
			return 0, false
		}
	}
	return uint32(grayDecode(g)), true
}

func grayEncode(n uint16) uint16 { return n ^ n>>1 }

func grayDecode(g uint16) uint16 {
	g ^= g >> 1
	g ^= g >> 2
	g ^= g >> 4
	g ^= g >> 8
	return g
}

// patternTolerance is how far, per channel, a sampled colour may be from the
// one drawn: enough for VP8's 4:2:0 chroma and quantisation at low bitrates.
const patternTolerance = 48

// CheckPattern reports which of the bars and the label region of a decoded
// pattern differ from what Pattern draws by more than ±48 per channel.
func CheckPattern(img image.Image, label color.RGBA) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 8 || h < 8 {
		return fmt.Errorf("image %dx%d is too small to hold a test pattern", w, h)
	}
	r := max(min(w, h)/40, 1)
	type spot struct {
		name string
		x, y int
		want color.RGBA
	}
	spots := make([]spot, 0, 5)
	for i, c := range barColours {
		spots = append(spots, spot{barNames[i], w * (2*i + 1) / 8, h / 4, c})
	}
	label.A = 255
	spots = append(spots, spot{"label", w / 4, h * 3 / 4, label})

	var bad []string
	for _, s := range spots {
		got := averageRGB(img, b.Min.X+s.x-r, b.Min.Y+s.y-r, b.Min.X+s.x+r+1, b.Min.Y+s.y+r+1)
		want := [3]int{int(s.want.R), int(s.want.G), int(s.want.B)}
		for c := range 3 {
			if d := got[c] - want[c]; d > patternTolerance || d < -patternTolerance {
				bad = append(bad, fmt.Sprintf("%s at (%d,%d) is rgb(%d,%d,%d), want rgb(%d,%d,%d) ±%d",
					s.name, s.x, s.y, got[0], got[1], got[2], want[0], want[1], want[2], patternTolerance))
				break
			}
		}
	}
	if bad != nil {
		return errors.New("not the test pattern: " + strings.Join(bad, "; "))
	}
	return nil
}

// averageRGB is the mean 8-bit colour over [x0,x1)x[y0,y1), clipped to img.
func averageRGB(img image.Image, x0, y0, x1, y1 int) [3]int {
	rect := image.Rect(x0, y0, x1, y1).Intersect(img.Bounds())
	var sum [3]int
	n := 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			sum[0] += int(r >> 8)
			sum[1] += int(g >> 8)
			sum[2] += int(b >> 8)
			n++
		}
	}
	if n == 0 {
		return sum
	}
	return [3]int{sum[0] / n, sum[1] / n, sum[2] / n}
}
