package media

import (
	"image"
	"image/color"
	"strings"
	"testing"
)

func TestPatternLayout(t *testing.T) {
	label := color.RGBA{10, 200, 30, 255}
	img := Pattern(320, 240, 7, label)
	if got := img.Bounds(); got != image.Rect(0, 0, 320, 240) {
		t.Fatalf("bounds %v, want 320x240", got)
	}
	for i, want := range barColours {
		x := 320 * (2*i + 1) / 8
		if got := img.RGBAAt(x, 60); got != want {
			t.Errorf("%s at (%d,60) = %v, want %v", barNames[i], x, got, want)
		}
	}
	if got := img.RGBAAt(80, 180); got != label {
		t.Errorf("label at (80,180) = %v, want %v", got, label)
	}
	if err := CheckPattern(img, label); err != nil {
		t.Errorf("CheckPattern on the pattern itself: %v", err)
	}
}

func TestPatternBlockMoves(t *testing.T) {
	a, b := Pattern(320, 240, 0, DefaultLabel), Pattern(320, 240, 5, DefaultLabel)
	l := layoutFor(320, 240)
	same := true
	for x := l.qx; x < 320 && same; x++ {
		same = a.RGBAAt(x, l.blockY+l.blockSize/2) == b.RGBAAt(x, l.blockY+l.blockSize/2)
	}
	if same {
		t.Error("the block is in the same place in frames 0 and 5")
	}
}

func TestGrayCode(t *testing.T) {
	for n := range 1 << 16 {
		g := grayEncode(uint16(n))
		if got := grayDecode(g); got != uint16(n) {
			t.Fatalf("grayDecode(grayEncode(%d)) = %d", n, got)
		}
		if d := g ^ grayEncode(uint16(n+1)); d&(d-1) != 0 {
			t.Fatalf("codes of %d and %d differ in more than one bit", n, n+1)
		}
	}
}

func TestReadCounterOnPattern(t *testing.T) {
	frames := []uint32{65535, 65536, 65537, 1 << 20, 0xfffffff0, 0x5555, 0xaaaa}
	for f := range uint32(40) {
		frames = append(frames, f)
	}
	for _, size := range [][2]int{{320, 240}, {640, 360}, {160, 120}} {
		for _, f := range frames {
			got, ok := ReadCounter(Pattern(size[0], size[1], f, DefaultLabel))
			if !ok || got != f%65536 {
				t.Fatalf("%dx%d frame %d: ReadCounter = %d, %v; want %d, true", size[0], size[1], f, got, ok, f%65536)
			}
		}
	}
}

func TestPatternCounterIsGrayCoded(t *testing.T) {
	// Consecutive frames must differ in exactly one cell (see Pattern).
	l := layoutFor(320, 240)
	y := (l.cellY0 + l.cellY1) / 2
	for f := range uint32(20) {
		a, b := Pattern(320, 240, f, DefaultLabel), Pattern(320, 240, f+1, DefaultLabel)
		diff := 0
		for i := range counterCells {
			x := l.qx + i*l.cellW + l.cellW/2
			if a.RGBAAt(x, y) != b.RGBAAt(x, y) {
				diff++
			}
		}
		if diff != 1 {
			t.Fatalf("frames %d and %d differ in %d counter cells, want 1", f, f+1, diff)
		}
	}
}

func TestCheckPatternReportsDifferences(t *testing.T) {
	img := Pattern(320, 240, 0, color.RGBA{255, 0, 255, 255})
	err := CheckPattern(img, color.RGBA{0, 255, 0, 255})
	if err == nil || !strings.Contains(err.Error(), "label") || strings.Contains(err.Error(), "bar") {
		t.Errorf("wrong label: err = %v, want a complaint about the label only", err)
	}

	black := image.NewRGBA(image.Rect(0, 0, 320, 240))
	err = CheckPattern(black, DefaultLabel)
	if err == nil {
		t.Fatal("CheckPattern accepted a black image")
	}
	for _, name := range append(barNames[:], "label") {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("black image: error %q does not mention %s", err, name)
		}
	}

	// A colour within tolerance passes.
	near := Pattern(320, 240, 0, color.RGBA{100, 100, 100, 255})
	if err := CheckPattern(near, color.RGBA{140, 60, 100, 255}); err != nil {
		t.Errorf("label off by 40 per channel: %v", err)
	}
}

func TestPatternOddAndTinySizes(t *testing.T) {
	for _, s := range [][2]int{{0, 0}, {-5, 10}, {1, 1}, {7, 5}, {31, 17}} {
		img := Pattern(s[0], s[1], 3, DefaultLabel)
		if _, ok := ReadCounter(img); ok && s[0] < 64 {
			t.Errorf("%dx%d: ReadCounter claims to read a counter too small to draw", s[0], s[1])
		}
		_ = CheckPattern(img, DefaultLabel) // must not panic
	}
	// A sub-image (non-zero origin) reads the same as a whole one.
	big := Pattern(320, 240, 42, DefaultLabel)
	canvas := image.NewRGBA(image.Rect(-10, -20, 310, 220))
	copy(canvas.Pix, big.Pix)
	if got, ok := ReadCounter(canvas); !ok || got != 42 {
		t.Errorf("offset image: ReadCounter = %d, %v; want 42, true", got, ok)
	}
	if err := CheckPattern(canvas, DefaultLabel); err != nil {
		t.Errorf("offset image: %v", err)
	}
}
