package tui

import (
	"image"
	"image/color"
	"image/draw"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"

	"github.com/rooms-dev/rooms/internal/termgfx"
)

// cells reads a view as rows of cells (one string per cell).
func cells(view string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(ansi.Strip(view), "\n") {
		var row []string
		for _, r := range line {
			w := ansi.StringWidth(string(r))
			if w == 0 && len(row) > 0 {
				row[len(row)-1] += string(r)
				continue
			}
			row = append(row, string(r))
			for ; w > 1; w-- {
				row = append(row, "")
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func at(rows [][]string, x, y int) string {
	if y < 0 || y >= len(rows) || x < 0 || x >= len(rows[y]) {
		return ""
	}
	return rows[y][x]
}

// withGraphics is the same call drawn for a painter whose cells are
// 5×10 pixels: the shape of a half-block cell, so the layout is the same
// and the pictures must go exactly where half blocks are drawn.
func withGraphics(m Model) (Model, *termgfx.Painter) {
	p := termgfx.NewPainter(termgfx.Caps{Mode: termgfx.Kitty, Cell: image.Pt(5, 10)}, io.Discard,
		GraphicsSource(m.cfg.Frames, nil), color.RGBA{})
	m.cfg.Graphics = p
	m.geo = geometry{} // laid out again for the painter
	mm, _ := m.Update(tea.WindowSizeMsg{Width: m.w, Height: m.h})
	return mm.(Model), p
}

// marker is the colour every camera and screen shows in the test below,
// found in the half-block view cell by cell.
var marker = color.RGBA{18, 52, 86, 255}

func TestGraphicsSlotsAreWhereVideoIs(t *testing.T) {
	tests := []struct {
		name    string
		n, w, h int
		sharers []string
		keys    []string
	}{
		{name: "grid of 4", n: 4, w: 160, h: 48},
		{name: "grid of 9", n: 9, w: 160, h: 48},
		{name: "grid of 25", n: 25, w: 160, h: 48},
		{name: "odd size", n: 5, w: 131, h: 37},
		{name: "shared screen", n: 3, w: 160, h: 48, sharers: []string{"pAnn"}},
		{name: "pinned", n: 4, w: 160, h: 48, keys: []string{"enter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := callWith(t, tt.n, tt.w, tt.h, false)
			m = sharing(m, tt.sharers...)
			m = press(t, m, tt.keys...)
			// Everyone's picture in the marker colour, at 4:3 and 16:9.
			for id := range m.people {
				m.cfg.Frames.Put(id, flat(320, 240))
			}
			for _, id := range tt.sharers {
				m.cfg.Frames.Put(screenKey(id), flat(1280, 720))
			}
			mm, _ := m.Update(frameTickMsg{})
			m = mm.(Model)
			blocks := styledCells(m.View().Content, m.w, m.h)
			g, _ := withGraphics(m)
			if g.geo.Mode != m.geo.Mode || len(g.geo.Tiles) != len(m.geo.Tiles) {
				t.Fatalf("graphics mode laid out %v with %d tiles, half blocks %v with %d", g.geo.Mode, len(g.geo.Tiles), m.geo.Mode, len(m.geo.Tiles))
			}
			pics := cells(g.View().Content)
			slots := g.slots()
			if want := len(g.geo.Tiles) + len(tt.sharers); len(slots) != want {
				t.Fatalf("%d slots, want %d (every tile and screen)", len(slots), want)
			}
			inSlot := func(x, y int) bool {
				for _, s := range slots {
					if image.Pt(x, y).In(s.At) {
						return true
					}
				}
				return false
			}
			// Every cell half blocks draw the picture in is in a slot…
			for y := 0; y < m.h; y++ {
				for x := 0; x < m.w; x++ {
					if blocks(x, y) && !inSlot(x, y) {
						t.Fatalf("half blocks draw video at (%d,%d), outside every slot %v", x, y, slots)
					}
				}
			}
			// …and each slot is (nearly: the picture may leave a bar) all
			// picture in half blocks, and blank in graphics mode.
			for _, s := range slots {
				n := 0
				for y := s.At.Min.Y; y < s.At.Max.Y; y++ {
					for x := s.At.Min.X; x < s.At.Max.X; x++ {
						if blocks(x, y) {
							n++
						}
						if c := at(pics, x, y); c != " " {
							t.Fatalf("slot %s %v: graphics mode draws %q at (%d,%d), want a blank cell", s.Key, s.At, c, x, y)
						}
					}
				}
				if area := s.At.Dx() * s.At.Dy(); n*10 < area*9 {
					t.Errorf("slot %s %v: half blocks draw the picture in %d of its %d cells", s.Key, s.At, n, area)
				}
			}
		})
	}
}

// flat is a w×h picture all in the marker colour.
func flat(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(marker), image.Point{}, draw.Src)
	return img
}

// styledCells says which cells of a view show the marker colour.
func styledCells(view string, w, h int) func(x, y int) bool {
	buf := uv.NewScreenBuffer(w, h)
	uv.NewStyledString(view).Draw(buf, buf.Bounds())
	same := func(c color.Color) bool {
		if c == nil {
			return false
		}
		r, g, b, _ := c.RGBA()
		return r>>8 == uint32(marker.R) && g>>8 == uint32(marker.G) && b>>8 == uint32(marker.B)
	}
	return func(x, y int) bool {
		c := buf.CellAt(x, y)
		return c != nil && (same(c.Style.Bg) || same(c.Style.Fg))
	}
}

// In kitty or sixel mode the server is told the real pixels of each tile.
func TestGraphicsSizesInPixels(t *testing.T) {
	m, _ := callWith(t, 4, 160, 48, false)
	half := m.shownSizes()
	g, p := withGraphics(m)
	got := g.shownSizes()
	cell := p.Cell()
	for id, h := range half {
		if want := image.Pt(h.X*cell.X, h.Y/2*cell.Y); got[id] != want {
			t.Errorf("%s: told %v, want %v (cells × %v pixels)", id, got[id], want, cell)
		}
	}
}

// The status bar says the mode and the frame rate in kitty or sixel mode.
func TestGraphicsStatus(t *testing.T) {
	m, _ := callWith(t, 2, 160, 48, false)
	g, _ := withGraphics(m)
	if s := ansi.Strip(g.statusView()); !strings.Contains(s, "kitty 0 fps") {
		t.Errorf("status bar %q does not say the mode and fps", s)
	}
	if s := ansi.Strip(m.statusView()); strings.Contains(s, "fps") {
		t.Errorf("half-block status bar %q changed", s)
	}
}

// In kitty or sixel mode a frame tick with new pictures draws the same
// view: it is kept, not drawn again, until a tile gains or loses its
// picture or another message comes.
func TestGraphicsViewKeptBetweenFrameTicks(t *testing.T) {
	m, _ := callWith(t, 4, 160, 48, false)
	m, _ = withGraphics(m)
	m.vc = &viewCache{}
	update := func(msg tea.Msg) {
		t.Helper()
		mm, _ := m.Update(msg)
		m = mm.(Model)
	}
	update(frameTickMsg{})
	first := m.View().Content
	drawn := m.vc.renders
	for i := 0; i < 3; i++ {
		for id := range m.people {
			m.cfg.Frames.Put(id, flat(320, 240))
		}
		update(frameTickMsg{})
		if got := m.View().Content; got != first {
			t.Fatalf("tick %d: the view changed with nothing but new frames", i)
		}
	}
	if m.vc.renders != drawn {
		t.Errorf("drew the view %d times for three frame ticks, want 0 (kept)", m.vc.renders-drawn)
	}

	// Ann's camera stops sending (her picture goes): her tile shows her
	// initials, so the view is drawn again.
	m.cfg.Frames.Drop("pAnn")
	update(frameTickMsg{})
	if got := m.View().Content; got == first || m.vc.renders != drawn+1 {
		t.Errorf("after a tile lost its picture: view changed %v, drawn %d times, want a new view drawn once", got != first, m.vc.renders-drawn)
	}
	// Any other message may change anything: drawn again.
	update(clockMsg(t0.Add(time.Second)))
	_ = m.View()
	if m.vc.renders != drawn+2 {
		t.Errorf("a clock tick did not draw the view again")
	}
}
