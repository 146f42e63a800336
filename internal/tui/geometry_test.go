package tui

import (
	"image"
	"maps"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/termimg"
)

// TestGeometry lays the call out for a few terminals and panel states and
// checks that the one geometry agrees with itself, with what View draws
// and with the sizes reported to the server.
func TestGeometry(t *testing.T) {
	tests := []struct {
		name    string
		n, w, h int
		sharers []string
		keys    []string
		mode    viewMode
		tiles   int // tiles drawn
		panel   bool
		page    int
	}{
		{"alone", 0, 100, 30, nil, nil, modeAlone, 0, false, 0},
		{"four at 80x24", 4, 80, 24, nil, nil, modeGrid, 4, false, 0},
		{"four at 160x48 with people", 4, 160, 48, nil, []string{"tab"}, modeGrid, 4, true, 0},
		{"nine at 120x40 with help", 9, 120, 40, nil, []string{"?"}, modeGrid, 9, true, 0},
		{"fifty at 80x24, page two", 50, 80, 24, nil, []string{"]"}, modeGrid, -1, false, 1},
		{"fifty at 240x70, one page", 50, 240, 70, nil, nil, modeGrid, 50, false, 0},
		{"seven, last page part full", 7, 60, 25, nil, []string{"]"}, modeGrid, -1, false, 1},
		{"pinned at 140x40", 4, 140, 40, nil, []string{"right", "p"}, modePinned, 4, false, 0},
		{"pinned with chat", 4, 140, 40, nil, []string{"right", "p", "c"}, modePinned, 4, true, 0},
		{"pinned among twenty at 100x30", 20, 100, 30, nil, []string{"p"}, modePinned, -1, false, 0},
		{"pinned, alone with them", 1, 100, 30, nil, []string{"p"}, modePinned, 1, false, 0},
		{"a screen at 160x48", 6, 160, 48, []string{"pAnn"}, nil, modeScreen, 6, false, 0},
		{"a screen at 80x24", 2, 80, 24, []string{"pBo"}, nil, modeScreen, 2, false, 0},
		{"a screen with twenty at 120x40", 20, 120, 40, []string{"pBo"}, nil, modeScreen, -1, false, 0},
		{"a screen, too narrow for a strip", 3, 58, 30, []string{"pAnn"}, nil, modeScreen, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := callWith(t, tt.n, tt.w, tt.h, false)
			m = press(t, sharing(m, tt.sharers...), tt.keys...)
			geo := m.geo
			wantW := tt.w
			if tt.panel {
				wantW -= sidePanelWidth
			}
			if geo.W != wantW || geo.H != tt.h-barsHeight || geo.Mode != tt.mode || m.page != tt.page {
				t.Fatalf("area %dx%d, mode %d, page %d; want %dx%d, mode %d, page %d", geo.W, geo.H, geo.Mode, m.page, wantW, tt.h-barsHeight, tt.mode, tt.page)
			}
			if tt.tiles >= 0 && len(geo.Tiles) != tt.tiles {
				t.Errorf("%d tiles drawn, want %d", len(geo.Tiles), tt.tiles)
			}
			if tt.tiles < 0 && (len(geo.Tiles) == 0 || len(geo.Tiles) >= tt.n) {
				t.Errorf("%d tiles drawn of %d: want some, not all", len(geo.Tiles), tt.n)
			}
			area := image.Rect(0, 0, geo.W, geo.H)
			for i, a := range geo.Tiles {
				if !a.At.In(area) {
					t.Errorf("%s's tile %v is outside the area %v", a.ID, a.At, area)
				}
				if a.Video.X > a.At.Dx()-tileChromeW || a.Video.Y > a.At.Dy()-tileChromeH {
					t.Errorf("%s's video %v does not fit its tile %v", a.ID, a.Video, a.At)
				}
				for _, b := range geo.Tiles[i+1:] {
					if a.At.Overlaps(b.At) {
						t.Errorf("the tiles of %s %v and %s %v overlap", a.ID, a.At, b.ID, b.At)
					}
				}
			}
			// What is reported is what is drawn: every tile and the screen,
			// at the size of its video, in pixels (2 a cell down).
			sizes := m.shownSizes()
			want := map[string]image.Point{}
			for _, a := range append(geo.Tiles, geo.Screen) {
				if a.ID != "" {
					want[a.ID] = image.Pt(a.Video.X, 2*a.Video.Y)
				}
			}
			if !maps.Equal(sizes, want) {
				t.Errorf("sizes reported %v, want the drawn videos %v", sizes, want)
			}
			if len(m.shown()) != len(want) {
				t.Errorf("shown %v, sized %v: not the same tiles", m.shown(), want)
			}
			// View draws a tile's top-left corner where the geometry puts it.
			screen := strings.Split(termimg.StripANSI(m.View().Content), "\n")
			for _, a := range geo.Tiles {
				if c := cellAt(screen, a.At.Min); c != "╭" && c != "╔" {
					t.Errorf("at %v, where %s's tile starts, View drew %q", a.At.Min, a.ID, c)
				}
			}
			if geo.Screen.ID != "" {
				if c := cellAt(screen, geo.Screen.At.Min); c != "┏" {
					t.Errorf("at %v, where the screen starts, View drew %q", geo.Screen.At.Min, c)
				}
				if c := cellAt(screen, geo.Screen.At.Max.Sub(image.Pt(1, 1))); c != "┛" {
					t.Errorf("at %v, where the screen ends, View drew %q", geo.Screen.At.Max.Sub(image.Pt(1, 1)), c)
				}
			}
		})
	}
}

// cellAt is the character drawn in a cell of the screen.
func cellAt(lines []string, p image.Point) string {
	if p.Y >= len(lines) {
		return ""
	}
	x := 0
	for _, r := range lines[p.Y] {
		if x == p.X {
			return string(r)
		}
		x += lipgloss.Width(string(r))
		if x > p.X {
			return ""
		}
	}
	return ""
}

// TestShownSizesAreTheDrawnVideo: a pinned tile is reported at the size
// of the video drawn in it, not of the whole area (the server would send a
// larger layer than the terminal draws).
func TestShownSizesAreTheDrawnVideo(t *testing.T) {
	m, _ := callWith(t, 4, 140, 40, false)
	m = press(t, m, "p")
	geo := m.geo
	bw := geo.W - geo.StripW
	vw, vh := fit(bw-tileChromeW, geo.H-tileChromeH, 4, 3)
	if got := m.shownSizes()["pAnn"]; got != image.Pt(vw, 2*vh) || got == image.Pt(geo.W, 2*geo.H) {
		t.Errorf("the pinned tile is reported at %v, want its video %v", got, image.Pt(vw, 2*vh))
	}
	m = sharing(m, "pBo")
	m = press(t, m, "esc")
	sv := m.geo.Screen.Video
	if got := m.shownSizes()[screenKey("pBo")]; got != image.Pt(sv.X, 2*sv.Y) || got.X >= m.geo.W-m.geo.StripW {
		t.Errorf("the shared screen is reported at %v, want its picture %v", got, image.Pt(sv.X, 2*sv.Y))
	}
	// The screen keeps its shape: 1280x720 in pixels, near 16:9.
	if r := float64(sv.X) / float64(2*sv.Y); r < 1.6 || r > 1.95 {
		t.Errorf("the screen is drawn %dx%d cells, aspect %.2f, want ~1.78", sv.X, sv.Y, r)
	}
}

// TestGeometryFollowsChanges: the geometry is laid out again when the
// size, the panel or the pinned one changes, keeping the page in range,
// and not for what does not move anything.
func TestGeometryFollowsChanges(t *testing.T) {
	m, _ := callWith(t, 50, 80, 24, false)
	m = press(t, m, "]", "]")
	if m.page != 2 {
		t.Fatalf("page %d after ] ], want 2", m.page)
	}
	before := m.geo
	m = press(t, m, "right")
	if &m.geo.Tiles[0] != &before.Tiles[0] {
		t.Error("selecting a tile laid the screen out again")
	}
	mm, _ := m.Update(tea.WindowSizeMsg{Width: 400, Height: 120})
	m = mm.(Model)
	if m.geo.Grid.Pages != 1 || m.page != 0 || len(m.geo.Tiles) != 50 {
		t.Errorf("a large terminal: %d pages, on page %d, %d tiles; want everyone on one page", m.geo.Grid.Pages, m.page, len(m.geo.Tiles))
	}
	w := m.geo.W
	m = press(t, m, "tab")
	if m.geo.W != w-sidePanelWidth {
		t.Errorf("the people panel left the tile area %d wide, want %d", m.geo.W, w-sidePanelWidth)
	}
	m = press(t, m, "p")
	if m.geo.Mode != modePinned || m.geo.Tiles[0].ID != "pBo" {
		t.Errorf("p: mode %d, first tile %s; want Bo (selected) pinned", m.geo.Mode, m.geo.Tiles[0].ID)
	}
}

// TestClickPins: a click pins the tile under it, as drawn, in the grid and
// in the spotlight's strip; a click on the pinned one unpins it; a shared
// screen takes no clicks.
func TestClickPins(t *testing.T) {
	click := func(m Model, p image.Point) Model {
		mm, _ := m.Update(tea.MouseClickMsg{X: p.X, Y: p.Y, Button: tea.MouseLeft})
		return mm.(Model)
	}
	middle := func(r image.Rectangle) image.Point { return r.Min.Add(r.Size().Div(2)) }
	m, _ := callWith(t, 7, 140, 40, false)
	third := m.geo.Tiles[2]
	if m = click(m, middle(third.At)); m.pinned != third.ID || m.sel != 2 {
		t.Fatalf("clicked %s's tile: pinned %q, selected %d", third.ID, m.pinned, m.sel)
	}
	strip := m.geo.Tiles[len(m.geo.Tiles)-1]
	if m = click(m, middle(strip.At)); m.pinned != strip.ID {
		t.Fatalf("clicked %s in the strip: pinned %q", strip.ID, m.pinned)
	}
	if m = click(m, middle(m.geo.Tiles[0].At)); m.pinned != "" {
		t.Fatalf("clicked the pinned tile: still pinned %q", m.pinned)
	}
	if m = click(m, image.Pt(0, 0)); m.pinned != "" {
		t.Fatalf("a click beside the tiles pinned %q", m.pinned)
	}
	m = sharing(m, "pAnn")
	if m = click(m, middle(m.geo.Tiles[0].At)); m.pinned != "" {
		t.Errorf("a click beside a shared screen pinned %q", m.pinned)
	}
}

// TestSelfViewWhereTheGeometrySays: the self-view is drawn in the corner
// the geometry keeps for it.
func TestSelfViewWhereTheGeometrySays(t *testing.T) {
	m, _ := callWith(t, 4, 140, 40, false)
	m.cfg.SelfView = func() image.Image { return media.Pattern(320, 240, 99, media.DefaultLabel) }
	m = press(t, m, "right")
	screen := strings.Split(termimg.StripANSI(m.View().Content), "\n")
	at := m.geo.Self
	if at.Empty() || cellAt(screen, at.Min) != "╭" || cellAt(screen, at.Max.Sub(image.Pt(1, 1))) != "╯" {
		t.Errorf("the self-view is not drawn at %v", at)
	}
}
