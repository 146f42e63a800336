package termimg

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// checkShape fails unless lines is rows lines of exactly cols cells, counted
// both as runes after stripping escapes and with CellWidth.
func checkShape(t testing.TB, lines []string, cols, rows int) {
	t.Helper()
	checkWidths(t, lines, cols, rows)
	for i, line := range lines {
		if n := utf8.RuneCountInString(StripANSI(line)); n != max(cols, 0) {
			t.Fatalf("line %d has %d runes after stripping, want %d: %q", i, n, cols, line)
		}
	}
}

// checkWidths fails unless lines is rows lines of exactly cols cells by
// CellWidth: the check for text, where a wide rune takes two cells.
func checkWidths(t testing.TB, lines []string, cols, rows int) {
	t.Helper()
	if len(lines) != max(rows, 0) {
		t.Fatalf("got %d lines, want %d", len(lines), rows)
	}
	for i, line := range lines {
		if strings.Contains(line, "\n") {
			t.Fatalf("line %d contains a newline: %q", i, line)
		}
		if w := CellWidth(line); w != max(cols, 0) {
			t.Fatalf("line %d is %d cells wide, want %d: %q", i, w, cols, line)
		}
	}
}

func TestRenderKeepsExactDimensions(t *testing.T) {
	images := map[string]image.Image{
		"320x240 pattern":        pattern(320, 240),
		"320x240 YCbCr 4:2:0":    toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420),
		"1x1 pixel":              solid(1, 1, red),
		"3x5 odd gradient":       gradient(3, 5),
		"7x3 odd YCbCr 4:2:0":    toYCbCr(gradient(7, 3), image.YCbCrSubsampleRatio420),
		"1000x1 wide strip":      gradient(1000, 1),
		"1x1000 tall strip":      gradient(1, 1000),
		"2000x3 wide YCbCr":      toYCbCr(gradient(2000, 3), image.YCbCrSubsampleRatio420),
		"gray through At":        image.NewGray(image.Rect(0, 0, 33, 17)),
		"empty image":            image.NewRGBA(image.Rect(0, 0, 0, 0)),
		"nil image":              nil,
		"offset sub-image":       pattern(320, 240).SubImage(image.Rect(13, 7, 211, 150)),
		"offset YCbCr sub-image": toYCbCr(gradient(64, 48), image.YCbCrSubsampleRatio420).SubImage(image.Rect(3, 5, 61, 40)),
	}
	sizes := [][2]int{{1, 1}, {1, 2}, {2, 1}, {3, 3}, {7, 5}, {8, 2}, {40, 12}, {80, 24}, {81, 25}, {200, 1}, {1, 60}, {0, 3}}
	for name, img := range images {
		for _, p := range []Profile{TrueColor, ANSI256, ASCII} {
			for _, s := range sizes {
				t.Run(fmt.Sprintf("%s at %dx%d profile %d", name, s[0], s[1], p), func(t *testing.T) {
					checkShape(t, Render(img, s[0], s[1], p, tileBg), s[0], s[1])
				})
			}
		}
	}
}

func TestRenderOfNothingIsEmpty(t *testing.T) {
	for _, rows := range []int{0, -1} {
		if got := Render(pattern(8, 8), 10, rows, TrueColor, tileBg); len(got) != 0 {
			t.Errorf("rows %d: got %d lines, want none", rows, len(got))
		}
	}
	if got := Render(pattern(8, 8), -4, 2, TrueColor, tileBg); len(got) != 2 || got[0] != "" || got[1] != "" {
		t.Errorf("negative cols: got %q, want two empty lines", got)
	}
}

func TestRenderPutsBarsInTheRightCells(t *testing.T) {
	// An 8x2 block is 8x4 pixels; an 80x40 image fills it exactly, one bar per two columns.
	for name, img := range map[string]image.Image{
		"RGBA":        bars(80, 40),
		"YCbCr 4:4:4": toYCbCr(bars(80, 40), image.YCbCrSubsampleRatio444),
		"At":          opaque{bars(80, 40)},
	} {
		t.Run(name, func(t *testing.T) {
			lines := Render(img, 8, 2, TrueColor, tileBg)
			checkShape(t, lines, 8, 2)
			grid := pixels(t, lines)
			want := []color.RGBA{red, red, green, green, blue, blue, white, white}
			for y, row := range grid {
				for x, got := range row {
					if !near(img, got, rgb(want[x])) {
						t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, rgb(want[x]))
					}
				}
			}
			// Flat cells need only a background: every cell is a space here.
			if s := StripANSI(strings.Join(lines, "")); s != strings.Repeat(" ", 16) {
				t.Errorf("cells %q, want only spaces", s)
			}
		})
	}
}

func TestRenderSplitsCellsIntoUpperAndLowerPixels(t *testing.T) {
	// Top half red, bottom half blue: one row of ▀ cells, red over blue.
	img := solid(4, 2, red)
	fill(img, image.Rect(0, 1, 4, 2), blue)
	lines := Render(img, 4, 1, TrueColor, tileBg)
	checkShape(t, lines, 4, 1)
	if got, want := StripANSI(lines[0]), "▀▀▀▀"; got != want {
		t.Errorf("cells %q, want %q", got, want)
	}
	for i, c := range parseLine(t, lines[0]) {
		if c.fg != rgb(red) || c.bg != rgb(blue) {
			t.Errorf("cell %d: fg %v bg %v, want red over blue", i, c.fg, c.bg)
		}
	}
	// Colours are set once for the run, not per cell.
	if n := strings.Count(lines[0], "\x1b["); n != 2 {
		t.Errorf("%d SGR sequences in %q, want 2 (colours and reset)", n, lines[0])
	}
	if want := "\x1b[38;2;255;0;0;48;2;0;0;255m▀▀▀▀\x1b[0m"; lines[0] != want {
		t.Errorf("line %q, want %q", lines[0], want)
	}
}

func TestRenderChoosesTheCheaperHalfBlock(t *testing.T) {
	// Columns alternate red-over-blue and blue-over-red: after the first cell
	// the colours in effect already serve the next one upside down (▄).
	img := image.NewRGBA(image.Rect(0, 0, 6, 2))
	for x := range 6 {
		a, b := red, blue
		if x%2 == 1 {
			a, b = b, a
		}
		img.SetRGBA(x, 0, a)
		img.SetRGBA(x, 1, b)
	}
	lines := Render(img, 6, 1, TrueColor, tileBg)
	if got, want := StripANSI(lines[0]), "▀▄▀▄▀▄"; got != want {
		t.Errorf("cells %q, want %q", got, want)
	}
	if n := strings.Count(lines[0], "\x1b["); n != 2 {
		t.Errorf("%d SGR sequences in %q, want 2", n, lines[0])
	}
	grid := pixels(t, lines)
	for x := range 6 {
		wantTop := rgb(red)
		if x%2 == 1 {
			wantTop = rgb(blue)
		}
		if grid[0][x] != wantTop {
			t.Errorf("top pixel %d = %v, want %v", x, grid[0][x], wantTop)
		}
	}
}

func TestRenderLetterboxesAndPillarboxes(t *testing.T) {
	tests := []struct {
		name             string
		img              image.Image
		cols, rows       int
		imgRows, imgCols [2]int // pixel rows and columns the image covers: [from, to)
	}{
		// 160x90 into 20x20 pixels: 20x11 (11.25 rounded), rows 4..14.
		{"16:9 in a square block has bg rows above and below", solid(160, 90, green), 20, 10, [2]int{4, 15}, [2]int{0, 20}},
		// 90x160 into 20x20 pixels: 11x20, columns 4..14.
		{"9:16 in a square block has bg columns left and right", solid(90, 160, green), 20, 10, [2]int{0, 20}, [2]int{4, 15}},
		// 320x240 into 80x48 pixels: 64x48, columns 8..71.
		{"4:3 in an 80x24 tile is pillarboxed", toYCbCr(solid(320, 240, green), image.YCbCrSubsampleRatio420), 80, 24, [2]int{0, 48}, [2]int{8, 72}},
		// 2x1 into 10x10 pixels: 10x5, rows 2..6.
		{"a 2x1 image smaller than the block is scaled up", solid(2, 1, green), 10, 5, [2]int{2, 7}, [2]int{0, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := Render(tt.img, tt.cols, tt.rows, TrueColor, tileBg)
			checkShape(t, lines, tt.cols, tt.rows)
			grid := pixels(t, lines)
			for y, row := range grid {
				for x, got := range row {
					inside := y >= tt.imgRows[0] && y < tt.imgRows[1] && x >= tt.imgCols[0] && x < tt.imgCols[1]
					want := rgb(tileBg)
					if inside {
						want = rgb(green)
					}
					if !near(tt.img, got, want) {
						t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}

func TestRenderFastPathsMatchTheGenericPath(t *testing.T) {
	src := gradient(320, 240)
	images := map[string]image.Image{
		"YCbCr 4:2:0":                toYCbCr(src, image.YCbCrSubsampleRatio420),
		"YCbCr 4:4:4":                toYCbCr(src, image.YCbCrSubsampleRatio444),
		"YCbCr 4:2:2":                toYCbCr(src, image.YCbCrSubsampleRatio422),
		"YCbCr 4:4:0":                toYCbCr(src, image.YCbCrSubsampleRatio440),
		"YCbCr 4:1:1":                toYCbCr(src, image.YCbCrSubsampleRatio411),
		"YCbCr 4:1:0":                toYCbCr(src, image.YCbCrSubsampleRatio410),
		"YCbCr 4:2:0 odd sub-image":  toYCbCr(src, image.YCbCrSubsampleRatio420).SubImage(image.Rect(3, 7, 250, 199)),
		"YCbCr 4:1:0 odd sub-image":  toYCbCr(src, image.YCbCrSubsampleRatio410).SubImage(image.Rect(5, 1, 318, 77)),
		"RGBA":                       src,
		"RGBA sub-image":             src.SubImage(image.Rect(11, 3, 300, 201)),
		"YCbCr 4:2:0 7x5 (upscaled)": toYCbCr(gradient(7, 5), image.YCbCrSubsampleRatio420),
	}
	sizes := [][2]int{{80, 24}, {40, 12}, {17, 9}, {3, 1}, {200, 60}}
	for name, img := range images {
		for _, s := range sizes {
			t.Run(fmt.Sprintf("%s at %dx%d", name, s[0], s[1]), func(t *testing.T) {
				fast := pixels(t, Render(img, s[0], s[1], TrueColor, tileBg))
				slow := pixels(t, Render(opaque{img}, s[0], s[1], TrueColor, tileBg))
				tolerance := 2
				if _, ok := img.(*image.RGBA); ok {
					tolerance = 0
				}
				for y := range fast {
					for x := range fast[y] {
						fr, fg, fb := channels(fast[y][x])
						sr, sg, sb := channels(slow[y][x])
						if absInt(fr-sr) > tolerance || absInt(fg-sg) > tolerance || absInt(fb-sb) > tolerance {
							t.Fatalf("pixel (%d,%d): fast path %v, At path %v", x, y, fast[y][x], slow[y][x])
						}
					}
				}
			})
		}
	}
}

func TestRenderAveragesAreas(t *testing.T) {
	// A 2x2 checker of black and white averages to mid grey in one pixel pair.
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			c := black
			if (x+y)%2 == 0 {
				c = white
			}
			img.SetRGBA(x, y, c)
		}
	}
	for name, m := range map[string]image.Image{"RGBA": img, "YCbCr": toYCbCr(img, image.YCbCrSubsampleRatio444)} {
		grid := pixels(t, Render(m, 2, 1, TrueColor, tileBg))
		for y := range grid {
			for x, c := range grid[y] {
				r, g, b := channels(c)
				if absInt(r-128) > 1 || absInt(g-128) > 1 || absInt(b-128) > 1 {
					t.Errorf("%s: pixel (%d,%d) = %v, want about #808080", name, x, y, c)
				}
			}
		}
	}
}

func TestRenderCompositesTransparencyOverBackground(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < 8; i++ { // the top half opaque red, the rest transparent
		img.Set(i%4, i/4, red)
	}
	grid := pixels(t, Render(img, 4, 2, TrueColor, tileBg))
	for x := range 4 {
		if grid[0][x] != rgb(red) || grid[1][x] != rgb(red) || grid[2][x] != rgb(tileBg) || grid[3][x] != rgb(tileBg) {
			t.Fatalf("column %d: %v, want red red bg bg", x, []colour{grid[0][x], grid[1][x], grid[2][x], grid[3][x]})
		}
	}
}

func TestANSI256OutputUsesOnlyPaletteColours(t *testing.T) {
	for _, s := range [][2]int{{80, 24}, {40, 12}, {7, 3}, {1, 1}} {
		lines := Render(toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420), s[0], s[1], ANSI256, tileBg)
		checkShape(t, lines, s[0], s[1])
		joined := strings.Join(lines, "\n")
		if strings.Contains(joined, "38;2;") || strings.Contains(joined, "48;2;") {
			t.Fatalf("%dx%d: truecolor sequence in 256-colour output", s[0], s[1])
		}
		for y, row := range pixels(t, lines) {
			for x, c := range row {
				if c&paletteBit == 0 {
					t.Fatalf("%dx%d: pixel (%d,%d) = %v, not a palette colour", s[0], s[1], x, y, c)
				}
			}
		}
	}
	// The bars keep their colours: cube red, green, blue and white.
	grid := pixels(t, Render(bars(80, 40), 8, 2, ANSI256, tileBg))
	want := []int{196, 196, 46, 46, 21, 21, 231, 231}
	for x, w := range want {
		if grid[0][x] != paletteBit|colour(w) {
			t.Errorf("bar pixel %d = %v, want idx%d", x, grid[0][x], w)
		}
	}
}

func TestANSI256PicksTheNearestPaletteEntry(t *testing.T) {
	palette := make([][3]int, 256)
	levels := []int{0, 95, 135, 175, 215, 255}
	for i := 16; i < 232; i++ {
		n := i - 16
		palette[i] = [3]int{levels[n/36], levels[n/6%6], levels[n%6]}
	}
	for i := 232; i < 256; i++ {
		g := 8 + 10*(i-232)
		palette[i] = [3]int{g, g, g}
	}
	dist := func(i int, r, g, b int) int {
		p := palette[i]
		return (p[0]-r)*(p[0]-r) + (p[1]-g)*(p[1]-g) + (p[2]-b)*(p[2]-b)
	}
	tests := []struct {
		name    string
		r, g, b uint8
		want    uint8
	}{
		{"black is the cube's corner", 0, 0, 0, 16},
		{"white is the cube's corner", 255, 255, 255, 231},
		{"pure red", 255, 0, 0, 196},
		{"mid grey is on the grey ramp", 128, 128, 128, 244},
		{"near black grey", 10, 10, 10, 232},
		{"orange", 255, 140, 0, 208},
	}
	for _, tt := range tests {
		if got := ansi256(tt.r, tt.g, tt.b); got != tt.want {
			t.Errorf("%s: ansi256(%d,%d,%d) = %d, want %d", tt.name, tt.r, tt.g, tt.b, got, tt.want)
		}
	}
	for r := 0; r < 256; r += 7 {
		for g := 0; g < 256; g += 11 {
			for b := 0; b < 256; b += 13 {
				best := 16
				for i := 17; i < 256; i++ {
					if dist(i, r, g, b) < dist(best, r, g, b) {
						best = i
					}
				}
				got := int(ansi256(uint8(r), uint8(g), uint8(b)))
				if dist(got, r, g, b) > dist(best, r, g, b) {
					t.Fatalf("ansi256(%d,%d,%d) = %d at distance %d; %d is nearer (%d)", r, g, b, got, dist(got, r, g, b), best, dist(best, r, g, b))
				}
			}
		}
	}
}

func TestASCIIOutputIsPlainText(t *testing.T) {
	tests := []struct {
		name string
		img  image.Image
		want rune // every cell, or 0 to only check the ramp
	}{
		{"white is the densest character", solid(20, 20, white), '@'},
		{"black is a space", solid(20, 20, black), ' '},
		{"mid grey is mid-ramp", solid(20, 20, color.RGBA{128, 128, 128, 255}), '+'},
		{"a pattern uses the ramp", toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A 10x5 block is 10x10 pixels: a square image fills it; the
			// pattern is letterboxed with a black bg.
			lines := Render(tt.img, 10, 5, ASCII, black)
			checkShape(t, lines, 10, 5)
			for _, line := range lines {
				if strings.ContainsRune(line, 0x1b) {
					t.Fatalf("escape in ASCII output %q", line)
				}
				for _, r := range line {
					if !strings.ContainsRune(asciiRamp, r) {
						t.Fatalf("%q is not on the ramp", r)
					}
					if tt.want != 0 && r != tt.want {
						t.Fatalf("line %q, want all %q", line, tt.want)
					}
				}
			}
		})
	}
}

func TestRendererReuseGivesTheSameOutput(t *testing.T) {
	var r Renderer
	frames := []struct {
		img        image.Image
		cols, rows int
		p          Profile
	}{
		{toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420), 80, 24, TrueColor},
		{gradient(50, 300), 13, 7, ANSI256},
		{pattern(640, 480), 120, 40, TrueColor},
		{toYCbCr(gradient(33, 21), image.YCbCrSubsampleRatio420), 5, 2, ASCII},
		{toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420), 80, 24, TrueColor},
	}
	for i, f := range frames {
		got := r.Render(f.img, f.cols, f.rows, f.p, tileBg)
		fresh := new(Renderer).Render(f.img, f.cols, f.rows, f.p, tileBg)
		if strings.Join(got, "\n") != strings.Join(fresh, "\n") {
			t.Errorf("frame %d differs between a reused and a fresh Renderer", i)
		}
	}
}

func TestWarmRendererAllocatesOnlyItsResult(t *testing.T) {
	img := toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420)
	for _, p := range []Profile{TrueColor, ANSI256, ASCII} {
		var r Renderer
		r.Render(img, 80, 24, p, tileBg)
		allocs := testing.AllocsPerRun(20, func() { r.Render(img, 80, 24, p, tileBg) })
		if allocs > 2 {
			t.Errorf("profile %d: %v allocations per frame, want at most 2 (the text and the slice of lines)", p, allocs)
		}
	}
}

func TestRenderIsSafeFromManyGoroutines(t *testing.T) {
	imgs := []image.Image{
		toYCbCr(pattern(320, 240), image.YCbCrSubsampleRatio420),
		gradient(160, 120),
		pattern(64, 200),
	}
	want := make([]string, len(imgs))
	for i, img := range imgs {
		want[i] = strings.Join(new(Renderer).Render(img, 30+i, 10+i, TrueColor, tileBg), "\n")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*50)
	for g := range 8 {
		wg.Go(func() {
			for k := range 50 {
				i := (g + k) % len(imgs)
				if got := strings.Join(Render(imgs[i], 30+i, 10+i, TrueColor, tileBg), "\n"); got != want[i] {
					errs <- fmt.Sprintf("goroutine %d, frame %d: image %d rendered differently", g, k, i)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
