package tui

import (
	"fmt"
	"image"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/rooms-dev/rooms/internal/termimg"
)

// A shared screen takes the spotlight: as much of the tile area as it can
// use on the left, under a header naming the sharer, with everyone's
// camera in a strip on the right. Text on a screen needs every cell.

// stripFor is the camera strip beside a shared screen in a w×h area with
// ids in the call: its width (0 when the terminal is too narrow to spare
// one), its layout, and who is on it. self says a self-view sits at its
// foot.
func stripFor(ids []string, w, h int, self bool, cell image.Point) (int, Grid, []string) {
	if len(ids) == 0 || w < 60 {
		return 0, Grid{}, nil
	}
	// A fifth of the width, or two columns of the smallest legible tiles
	// when that shows more people and leaves the screen two thirds.
	sw := max(22, w/5)
	if self && w >= 3*selfW && h >= 3*selfH {
		// The self-view sits at the strip's foot: keep tiles above it.
		h -= selfH + 2
	}
	g := stripLayout(len(ids), sw, h, cell)
	if two := 2 * (minVideoW + tileChromeW); two > sw && w-two >= w*2/3 {
		if g2 := stripLayout(len(ids), two, h, cell); g2.PerPage > g.PerPage {
			sw, g = two, g2
		}
	}
	return sw, g, ids[:min(len(ids), g.PerPage)]
}

// stripLayout lays n camera tiles in a sw×h strip, keeping a line for
// "+N more" when not all fit.
func stripLayout(n, sw, h int, cell image.Point) Grid {
	aw, ah := shape(4, 3, cell)
	g := Layout(n, sw, h, aw, ah)
	if g.PerPage < n {
		g = Layout(n, sw, h-1, aw, ah)
	}
	return g
}

// screenView draws the shared screen in the spotlight and the strip, where
// the geometry puts them.
func (m Model) screenView() string {
	pal := m.cfg.Theme.Palette
	geo := m.geo
	id := geo.key.screen
	w, h, sw, g := geo.W, geo.H, geo.StripW, geo.Strip
	bw := w - sw

	name := "Someone"
	if p := m.people[id]; p != nil {
		name = p.Name
	}
	badge := lipgloss.NewStyle().Bold(true).Foreground(hex(pal.Background)).Background(hex(pal.Accent)).Render(" 💻 SHARING ")
	head := " " + name + "'s screen"
	if len(m.screens) > 1 {
		head += fmt.Sprintf("  ·  %d/%d  ·  [ ] next screen", m.screenAt+1, len(m.screens))
	}
	header := truncate(badge+lipgloss.NewStyle().Bold(true).Foreground(hex(pal.Text)).Render(head), bw)
	header = lipgloss.NewStyle().Width(bw).Background(hex(pal.Background)).Render(header)

	img, seq := m.cfg.Frames.Get(geo.Screen.ID)
	vw, vh := geo.Screen.Video.X, geo.Screen.Video.Y
	var video []string
	switch {
	case vw < 1 || vh < 1:
	case img == nil:
		video = termimg.Placeholder(vw, vh, "waiting for "+name+"'s screen…", rgb(pal.Text), rgb(pal.TileBorder), m.cfg.Profile)
	case m.graphics() != nil:
		video = m.blank(vw, vh)
	default:
		key := geo.Screen.ID
		if c, ok := m.tiles.lines[key]; ok && c.seq == seq && c.w == vw && c.h == vh {
			video = c.out
		} else {
			video = termimg.Render(img, vw, vh, m.cfg.Profile, rgb(pal.Background))
			m.tiles.lines[key] = cachedTile{seq: seq, w: vw, h: vh, out: video}
			m.tiles.drawn.Add(1)
		}
	}
	screen := lipgloss.NewStyle().Border(lipgloss.ThickBorder()).BorderForeground(hex(pal.Accent)).BorderBackground(hex(pal.Background)).
		Render(strings.Join(video, "\n"))
	big := lipgloss.Place(bw, h, lipgloss.Center, lipgloss.Top, lipgloss.JoinVertical(lipgloss.Left, header, screen),
		lipgloss.WithWhitespaceStyle(lipgloss.NewStyle().Background(hex(pal.Background))))
	if sw == 0 {
		return big
	}
	strip := geo.Tiles
	rows := make([]string, 0, g.Rows+1)
	for r := 0; r < g.Rows; r++ {
		cells := make([]string, 0, g.Cols)
		for c := 0; c < g.Cols; c++ {
			i := r*g.Cols + c
			if i >= len(strip) {
				break
			}
			t := strip[i]
			cells = append(cells, m.tile(t.ID, t.At.Dx(), t.At.Dy(), t.Video.X, t.Video.Y, false))
		}
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, cells...))
	}
	if geo.More > 0 {
		rows = append(rows, truncate(lipgloss.NewStyle().Faint(true).Foreground(hex(pal.Text)).Render(moreLine(geo.More)), sw))
	}
	side := lipgloss.Place(sw, h, lipgloss.Center, lipgloss.Top, lipgloss.JoinVertical(lipgloss.Left, rows...),
		lipgloss.WithWhitespaceStyle(lipgloss.NewStyle().Background(hex(pal.Background))))
	return lipgloss.JoinHorizontal(lipgloss.Top, big, side)
}
