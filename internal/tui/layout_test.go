package tui

import "testing"

func TestLayout(t *testing.T) {
	tests := []struct {
		name              string
		n, w, h           int
		wantCols, wantRow int
		wantPages         int
	}{
		{"one person fills the screen", 1, 120, 40, 1, 1, 1},
		{"two side by side on a wide terminal", 2, 160, 40, 2, 1, 1},
		{"two stacked on a tall terminal", 2, 80, 60, 1, 2, 1},
		{"four in a square", 4, 160, 50, 2, 2, 1},
		{"nine in three by three", 9, 200, 60, 3, 3, 1},
		{"fifty on a normal terminal pages", 50, 120, 40, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Layout(tt.n, tt.w, tt.h, 4, 3)
			if g.Cols*g.TileW > tt.w || g.Rows*g.TileH > tt.h {
				t.Fatalf("grid %+v overflows %dx%d", g, tt.w, tt.h)
			}
			if g.VideoW+tileChromeW > g.TileW || g.VideoH+tileChromeH > g.TileH {
				t.Fatalf("video %dx%d does not fit its tile %dx%d", g.VideoW, g.VideoH, g.TileW, g.TileH)
			}
			if g.PerPage*g.Pages < tt.n {
				t.Fatalf("%d per page × %d pages < %d tiles", g.PerPage, g.Pages, tt.n)
			}
			if tt.wantCols > 0 && (g.Cols != tt.wantCols || g.Rows != tt.wantRow || g.Pages != tt.wantPages) {
				t.Fatalf("got %dx%d, %d pages; want %dx%d, %d pages (%+v)", g.Cols, g.Rows, g.Pages, tt.wantCols, tt.wantRow, tt.wantPages, g)
			}
			if tt.n == 50 && (g.Pages < 2 || g.VideoW < minVideoW || g.VideoH < minVideoH) {
				t.Fatalf("fifty tiles: %+v; want pages of legible tiles", g)
			}
		})
	}
}

func TestLayoutKeepsAspect(t *testing.T) {
	for n := 1; n <= 50; n++ {
		for _, size := range [][2]int{{80, 24}, {120, 40}, {200, 60}, {40, 12}} {
			g := Layout(n, size[0], size[1], 4, 3)
			if g.VideoH == 0 {
				continue
			}
			// 4:3 in square pixels: VideoW/(2·VideoH) ≈ 4/3.
			ratio := float64(g.VideoW) / float64(2*g.VideoH)
			if ratio < 1.2 || ratio > 1.5 {
				t.Errorf("n=%d %v: video %dx%d cells has aspect %.2f, want ~1.33", n, size, g.VideoW, g.VideoH, ratio)
			}
		}
	}
}

func TestLayoutTinyTerminal(t *testing.T) {
	g := Layout(3, 10, 4, 4, 3)
	if g.Pages < 1 || g.PerPage < 1 {
		t.Fatalf("tiny terminal: %+v", g)
	}
}
