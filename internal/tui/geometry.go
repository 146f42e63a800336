package tui

import (
	"fmt"
	"image"
	"slices"

	"charm.land/lipgloss/v2"
)

// geometry is where everything on the call screen goes, in cells of the
// tile area: the terminal less the bars under it and an open side panel.
// It is computed in one place (layoutFor) when what it depends on changes
// (geometryKey: the size, the panel, who is here, the page, who is pinned,
// the screen in the spotlight), and View, mouse clicks and the sizes
// reported to the server all read it.
type geometry struct {
	key  geometryKey
	W, H int // the tile area
	Mode viewMode
	// Grid is the page grid over everyone, whatever the mode: the pages
	// the status bar counts and the rows the arrow keys move through.
	Grid Grid
	Page []string // who is on the current page
	// Tiles is every participant's tile drawn, in drawing order: the
	// page; or the pinned one, then the strip; or the strip beside a
	// shared screen.
	Tiles []placed
	// Screen is the shared screen in the spotlight (modeScreen), its
	// border included; ID is its key in Frames.
	Screen placed
	StripW int  // modePinned, modeScreen: the strip's width (0: none)
	Strip  Grid // modeScreen: how the strip's tiles are laid out
	More   int  // modeScreen: people with no tile in the strip
	// Self is where the self-view goes when there is one (over the tile
	// area's bottom-right corner), empty when the area is too small.
	Self image.Rectangle
}

// placed is a tile on the screen.
type placed struct {
	ID    string
	At    image.Rectangle // the tile's cells, border included
	Video image.Point     // the cells of video inside it
}

type viewMode int

const (
	modeAlone  viewMode = iota // nobody else here: the link, large
	modeGrid                   // a page of tiles
	modePinned                 // the pinned one large, the others in a strip
	modeScreen                 // a shared screen large, cameras in a strip
)

// geometryKey is everything the geometry depends on.
type geometryKey struct {
	w, h   int  // the terminal
	panel  bool // a side panel is open
	roster int  // counts arrivals and departures
	page   int
	pinned string      // who is pinned, when they are here
	screen string      // whose screen is in the spotlight
	aspect image.Point // that screen's picture size (zero: none yet)
	self   bool        // a self-view is drawn (it shortens a screen's strip)
	// cell is the size of a cell in pixels when pictures are drawn at the
	// terminal's resolution (kitty, sixel), zero for half blocks: shapes
	// are kept in the terminal's pixels then.
	cell image.Point
}

// shape is the aspect aw:ah of a picture as the layout functions take it
// (in half-block pixels: a cell is one wide and two high), for pictures
// drawn in cells of cell pixels (zero: half blocks).
func shape(aw, ah int, cell image.Point) (int, int) {
	if cell.X <= 0 || cell.Y <= 0 {
		return aw, ah
	}
	return aw * cell.Y, ah * 2 * cell.X
}

// key is what the geometry depends on now.
func (m Model) key() geometryKey {
	k := geometryKey{w: m.w, h: m.h, panel: m.panel != panelNone, roster: m.roster, page: m.page, self: m.selfView() != nil}
	if g := m.graphics(); g != nil {
		k.cell = g.Cell()
	}
	if _, ok := m.people[m.pinned]; ok {
		k.pinned = m.pinned
	}
	if k.screen = m.spotScreen(); k.screen != "" {
		if img, _ := m.cfg.Frames.Get(screenKey(k.screen)); img != nil {
			k.aspect = img.Bounds().Size()
		}
	}
	return k
}

// relayout computes the geometry again when what it depends on changed,
// keeping the page in range (people leave and terminals shrink).
func (m *Model) relayout() {
	k := m.key()
	if k == m.geo.key {
		return
	}
	m.geo = m.layoutFor(k)
	m.page = m.geo.key.page
}

// layoutFor lays the call screen out.
func (m Model) layoutFor(k geometryKey) geometry {
	w := k.w
	if k.panel {
		w -= sidePanelWidth
	}
	w, h := max(w, 1), max(k.h-barsHeight, 1)
	ids := m.ids()
	aw, ah := shape(4, 3, k.cell)
	g := Layout(max(len(ids), 1), w, h, aw, ah)
	k.page = max(0, min(k.page, g.Pages-1))
	from := min(len(ids), k.page*g.PerPage)
	geo := geometry{key: k, W: w, H: h, Grid: g, Page: ids[from:min(len(ids), from+g.PerPage)]}
	switch {
	case len(geo.Page) == 0:
		geo.Mode = modeAlone
		return geo
	case k.screen != "":
		geo.screen(ids, k)
	case k.pinned != "":
		geo.pinned(ids, k.pinned, k.cell)
	default:
		geo.grid()
	}
	if w >= 3*selfW && h >= 3*selfH {
		// withSelfView: a rounded border around the video and a name line.
		tw, th := selfW+tileChromeW, selfH+tileChromeH
		geo.Self = image.Rect(w-tw-1, h-th, w-1, h)
	}
	return geo
}

// grid places the page's tiles as View draws them: rows of tiles (an
// empty line for each row past the last tile), centred in the area.
func (geo *geometry) grid() {
	geo.Mode = modeGrid
	g, n := geo.Grid, len(geo.Page)
	filled := (n + g.Cols - 1) / g.Cols
	x0 := max(0, (geo.W-min(n, g.Cols)*g.TileW)/2)
	y0 := max(0, (geo.H-filled*g.TileH-(g.Rows-filled))/2)
	for i, id := range geo.Page {
		x, y := x0+i%g.Cols*g.TileW, y0+i/g.Cols*g.TileH
		geo.Tiles = append(geo.Tiles, placed{ID: id, At: image.Rect(x, y, x+g.TileW, y+g.TileH), Video: image.Pt(g.VideoW, g.VideoH)})
	}
}

// pinned places the pinned one large on the left and the others in a
// column a fifth as wide on the right, as many as fit.
func (geo *geometry) pinned(ids []string, pinned string, cell image.Point) {
	geo.Mode = modePinned
	others := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == pinned })
	if len(others) > 0 {
		geo.StripW = max(20, geo.W/5)
	}
	bw := geo.W - geo.StripW
	aw, ah := shape(4, 3, cell)
	vw, vh := fit(bw-tileChromeW, geo.H-tileChromeH, aw, ah)
	geo.Tiles = append(geo.Tiles, placed{ID: pinned, At: image.Rect(0, 0, bw, geo.H), Video: image.Pt(vw, vh)})
	if geo.StripW == 0 {
		return
	}
	g := Layout(len(others), geo.StripW, geo.H, aw, ah)
	others = others[:min(len(others), g.PerPage)]
	th := min(geo.H/max(1, len(others)), g.TileH)
	for i, id := range others {
		geo.Tiles = append(geo.Tiles, placed{ID: id, At: image.Rect(bw, i*th, bw+geo.StripW, (i+1)*th), Video: image.Pt(g.VideoW, g.VideoH)})
	}
}

// screen places a shared screen in the spotlight: under a header line on
// the left, as large as its shape allows, with a strip of cameras on the
// right (screen.go draws it).
func (geo *geometry) screen(ids []string, k geometryKey) {
	geo.Mode = modeScreen
	sw, g, strip := stripFor(ids, geo.W, geo.H, k.self, k.cell)
	geo.StripW, geo.Strip, geo.More = sw, g, len(ids)-len(strip)
	bw := geo.W - sw
	// The picture keeps the shared screen's shape (16:9 until a frame says).
	aw, ah := 16, 9
	if k.aspect.X > 0 && k.aspect.Y > 0 {
		aw, ah = k.aspect.X, k.aspect.Y
	}
	aw, ah = shape(aw, ah, k.cell)
	vw, vh := fit(bw-tileChromeW, geo.H-1-2, aw, ah)
	if vw < 1 || vh < 1 {
		vw, vh = 0, 0
	}
	geo.Screen = placed{ID: screenKey(k.screen), At: image.Rect(0, 1, vw+2, 1+max(vh, 1)+2), Video: image.Pt(vw, vh)}
	if sw == 0 {
		return
	}
	// The strip's block is centred in its column: as wide as its widest
	// row, or its "+N more" line.
	blockW := min(len(strip), g.Cols) * g.TileW
	if geo.More > 0 {
		blockW = max(blockW, min(sw, lipgloss.Width(moreLine(geo.More))))
	}
	x0 := bw + max(0, (sw-blockW)/2)
	for i, id := range strip {
		x, y := x0+i%g.Cols*g.TileW, i/g.Cols*g.TileH
		geo.Tiles = append(geo.Tiles, placed{ID: id, At: image.Rect(x, y, x+g.TileW, y+g.TileH), Video: image.Pt(g.VideoW, g.VideoH)})
	}
}

// moreLine says how many beside a shared screen have no tile.
func moreLine(more int) string { return fmt.Sprintf(" +%d more · tab: everyone", more) }

// shown is who has a tile on screen now, and a shared screen in the
// spotlight by its key: the decoders skip everyone else.
func (geo geometry) shown() []string {
	out := make([]string, 0, len(geo.Tiles)+1)
	for _, t := range geo.Tiles {
		out = append(out, t.ID)
	}
	if geo.Screen.ID != "" {
		out = append(out, geo.Screen.ID)
	}
	return out
}

// sizes is how large each shown video is drawn, in half-block pixels (w
// cells × 2h): the server picks the layer of a simulcast camera that
// fits it, so it sends what is drawn, not more.
func (geo geometry) sizes() map[string]image.Point {
	out := make(map[string]image.Point, len(geo.Tiles)+1)
	for _, t := range geo.Tiles {
		out[t.ID] = image.Pt(t.Video.X, 2*t.Video.Y)
	}
	if geo.Screen.ID != "" {
		out[geo.Screen.ID] = image.Pt(geo.Screen.Video.X, 2*geo.Screen.Video.Y)
	}
	return out
}

// tileAt is the tile under a cell of the tile area, if any.
func (geo geometry) tileAt(x, y int) (placed, bool) {
	p := image.Pt(x, y)
	for _, t := range geo.Tiles {
		if p.In(t.At) {
			return t, true
		}
	}
	return placed{}, false
}

// shown is who (and which screen) has a tile on screen now.
func (m Model) shown() []string { return m.geo.shown() }

// shownSizes is how large each shown video is drawn, in pixels.
func (m Model) shownSizes() map[string]image.Point {
	if m.graphics() != nil {
		return m.graphicsSizes(m.geo.sizes())
	}
	return m.geo.sizes()
}
