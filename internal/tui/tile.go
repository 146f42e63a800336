package tui

import (
	"slices"
	"strings"
	"sync/atomic"

	"charm.land/lipgloss/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/termimg"
)

// tileCache keeps each participant's rendered video lines until a new
// frame arrives or the tile changes size: the view runs on every message,
// the video only changes 15 times a second.
type tileCache struct {
	lines map[string]cachedTile
	// drawn counts new pictures drawn, for the frame rate in the help
	// (and ROOMS_GRAPHICS_STATS, read from another goroutine).
	drawn atomic.Uint64
}

type cachedTile struct {
	seq  uint64
	w, h int
	out  []string
}

func newTileCache() *tileCache { return &tileCache{lines: map[string]cachedTile{}} }

func (c *tileCache) forget(id string) { delete(c.lines, id) }

// tile draws one participant: a border in the theme's colour (the accent
// while they speak, double when selected), their video or a placeholder,
// and their name with mic and camera state.
func (m Model) tile(id string, tw, th, vw, vh int, selected bool) string {
	p := m.people[id]
	pal := m.cfg.Theme.Palette
	innerW, innerH := max(1, tw-tileChromeW), max(1, th-2)
	video := m.video(id, p, vw, vh)
	// Centre the video in the space above the name line.
	videoBlock := lipgloss.Place(innerW, innerH-1, lipgloss.Center, lipgloss.Center, strings.Join(video, "\n"),
		lipgloss.WithWhitespaceStyle(lipgloss.NewStyle().Background(hex(pal.Background))))
	name := p.Name
	if p.Host {
		name += " ★"
	}
	state := "🎤"
	if p.Muted.Audio {
		state = "🔇"
	}
	if p.Muted.Video || !p.video {
		state += " 📷✕"
	}
	if slices.Contains(m.screens, id) {
		state += " 💻"
	}
	label := truncate(state+" "+name, innerW)
	label = lipgloss.NewStyle().Width(innerW).Foreground(hex(pal.Text)).Background(hex(pal.Background)).Render(label)
	border := lipgloss.RoundedBorder()
	if selected {
		border = lipgloss.DoubleBorder()
	}
	colour := pal.TileBorder
	if p.speaking {
		colour = pal.Accent
	}
	return lipgloss.NewStyle().Border(border).BorderForeground(hex(colour)).BorderBackground(hex(pal.Background)).
		Render(lipgloss.JoinVertical(lipgloss.Left, videoBlock, label))
}

// video renders a participant's newest frame, from the cache when it has
// not changed.
func (m Model) video(id string, p *person, vw, vh int) []string {
	pal := m.cfg.Theme.Palette
	if vw < 1 || vh < 1 {
		return nil
	}
	img, seq := m.cfg.Frames.Get(id)
	if img == nil || p.Muted.Video || p.slowLink {
		text := initials(p.Name)
		switch {
		case p.Muted.Video:
			text += " · camera off"
		case p.slowLink:
			// Its last frame would look frozen: say why it stopped.
			text += " · paused: your connection is slow"
		}
		return termimg.Placeholder(vw, vh, text, rgb(pal.Text), rgb(pal.TileBorder), m.cfg.Profile)
	}
	if m.graphics() != nil {
		return m.blank(vw, vh)
	}
	if c, ok := m.tiles.lines[id]; ok && c.seq == seq && c.w == vw && c.h == vh {
		return c.out
	}
	out := termimg.Render(img, vw, vh, m.cfg.Profile, rgb(pal.Background))
	m.tiles.lines[id] = cachedTile{seq: seq, w: vw, h: vh, out: out}
	m.tiles.drawn.Add(1)
	return out
}

// initials are what a tile without video shows.
func initials(name string) string {
	var b strings.Builder
	// A name's line breaks are safetext.Separator by now: not a word.
	for _, w := range strings.Fields(strings.ReplaceAll(name, safetext.Separator, " ")) {
		for _, r := range w {
			b.WriteRune(r)
			break
		}
		if b.Len() >= 2 {
			break
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return strings.ToUpper(b.String())
}
