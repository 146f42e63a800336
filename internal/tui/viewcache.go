package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// In kitty or sixel mode the pictures are not part of the view: a frame
// tick (fifteen a second) changes nothing Bubble Tea draws unless a tile
// gained or lost its picture or the layout moved. Bubble Tea asks for the
// view after every message, and drawing it (every tile's border, name and
// blank cells through lipgloss) was a fifth of the call screen's CPU with
// nine tiles; so the view drawn is kept and given again until a message
// other than a frame tick comes, or what the tick can change changes.

// viewCache is the last view drawn; it is shared by the copies of a Model.
type viewCache struct {
	gen   uint64 // counts messages other than frame ticks
	drawn uint64 // gen when view was drawn
	key   string // the layout and which videos had a picture
	view  tea.View
	ok    bool
	// renders counts views drawn (not given from the cache), for tests.
	renders int
}

// noteMsg tells the cache a message came: all but frame ticks may change
// anything the view shows.
func (c *viewCache) noteMsg(msg tea.Msg) {
	if c == nil {
		return
	}
	if _, tick := msg.(frameTickMsg); !tick {
		c.gen++
	}
}

// videoKey is what a frame tick can change in the view: the layout, and
// which shown videos have a picture (a tile without one shows initials).
func (m Model) videoKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v|", m.geo.key)
	for _, t := range m.geo.Tiles {
		if m.showsVideo(t.ID) {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	}
	if id := m.geo.Screen.ID; id != "" {
		if img, _ := m.cfg.Frames.Get(id); img != nil {
			b.WriteByte('s')
		}
	}
	return b.String()
}

// cachedView is View from the cache when nothing it shows changed.
func (m Model) cachedView(draw func() tea.View) tea.View {
	c := m.vc
	key := m.videoKey()
	if c.ok && c.drawn == c.gen && c.key == key {
		return c.view
	}
	v := draw()
	c.ok, c.drawn, c.key, c.view = true, c.gen, key, v
	c.renders++
	return v
}
