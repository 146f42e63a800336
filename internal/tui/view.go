package tui

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/client"
)

// sidePanelWidth is the width of the people, chat and help panels.
const sidePanelWidth = 34

// panelTextWidth is the room for text inside a panel: its border and
// padding take three cells a side, and the panel is drawn two cells
// narrower than sidePanelWidth (panelView).
const panelTextWidth = sidePanelWidth - 2 - 4

// Bars under the grid: the status line and the key help.
const barsHeight = 2

// View draws the call.
func (m Model) View() tea.View {
	if m.vc != nil {
		return m.cachedView(m.view)
	}
	return m.view()
}

func (m Model) view() tea.View {
	v := tea.NewView("")
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = m.title()
	if m.w == 0 || m.h == 0 {
		return v
	}
	if m.ended {
		v.Content = m.endView()
		return v
	}
	body := m.withSelfView(m.tilesView())
	if m.panel != panelNone {
		body = lipgloss.JoinHorizontal(lipgloss.Top, body, m.panelView())
	}
	v.Content = lipgloss.JoinVertical(lipgloss.Left, body, m.statusView(), m.helpLine())
	return v
}

func (m Model) title() string {
	name := m.room.Name
	if name == "" {
		name = m.cfg.Theme.Title
	}
	return strings.TrimSpace(m.cfg.Theme.Emoji + " " + name + " — rooms")
}

// tilesView draws the tile area as the geometry lays it out: a page of
// tiles, the spotlight when someone is pinned, a shared screen, or a note
// when nobody else is here.
func (m Model) tilesView() string {
	geo := m.geo
	switch geo.Mode {
	case modeAlone:
		return m.alone(geo.W, geo.H)
	case modeScreen:
		return m.screenView()
	case modePinned:
		return m.spotlight()
	}
	g := geo.Grid
	rows := make([]string, 0, g.Rows)
	for r := 0; r < g.Rows; r++ {
		cells := make([]string, 0, g.Cols)
		for c := 0; c < g.Cols; c++ {
			i := r*g.Cols + c
			if i >= len(geo.Tiles) {
				break
			}
			t := geo.Tiles[i]
			cells = append(cells, m.tile(t.ID, t.At.Dx(), t.At.Dy(), t.Video.X, t.Video.Y, i == m.sel))
		}
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, cells...))
	}
	return lipgloss.Place(geo.W, geo.H, lipgloss.Center, lipgloss.Center, lipgloss.JoinVertical(lipgloss.Left, rows...),
		lipgloss.WithWhitespaceStyle(lipgloss.NewStyle().Background(hex(m.cfg.Theme.Palette.Background))))
}

// spotlight puts the pinned person large on the left and the others in a
// column on the right.
func (m Model) spotlight() string {
	tiles := m.geo.Tiles
	big := tiles[0]
	out := m.tile(big.ID, big.At.Dx(), big.At.Dy(), big.Video.X, big.Video.Y, true)
	if len(tiles) == 1 {
		return out
	}
	small := make([]string, 0, len(tiles)-1)
	for _, t := range tiles[1:] {
		small = append(small, m.tile(t.ID, t.At.Dx(), t.At.Dy(), t.Video.X, t.Video.Y, false))
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, out, lipgloss.JoinVertical(lipgloss.Left, small...))
}

// Self-view size: small, in the grid area's bottom-right corner.
const selfW, selfH = 20, 6

// withSelfView lays this person's own camera over the tile area, small,
// when there is someone else to look at (alone, it is shown large).
func (m Model) withSelfView(area string) string {
	img := m.selfView()
	at := m.geo.Self
	if img == nil || m.geo.Mode == modeAlone || at.Empty() {
		return area
	}
	pal := m.cfg.Theme.Palette
	var video []string
	if m.graphics() != nil {
		video = m.blank(selfW, selfH)
	} else {
		video = termimg.Render(img, selfW, selfH, m.cfg.Profile, rgb(pal.Background))
	}
	label := lipgloss.NewStyle().Width(selfW).Foreground(hex(pal.Text)).Background(hex(pal.Background)).Render("you")
	tile := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(hex(pal.Accent)).
		Render(lipgloss.JoinVertical(lipgloss.Left, strings.Join(video, "\n"), label))
	return lipgloss.NewCompositor(
		lipgloss.NewLayer(area),
		lipgloss.NewLayer(tile).X(at.Min.X).Y(at.Min.Y).Z(1),
	).Render()
}

// alone is the first-one-here screen.
func (m Model) alone(w, h int) string {
	p := m.cfg.Theme.Palette
	lines := []string{
		lipgloss.NewStyle().Foreground(hex(p.Accent)).Bold(true).Render(m.title()),
		"",
		"You're the first here — share this link:",
		"",
		lipgloss.NewStyle().Foreground(hex(p.Accent)).Render(m.room.Link),
		"",
		lipgloss.NewStyle().Faint(true).Render("(select it with the mouse to copy, or run: rooms link " + m.room.ID + ")"),
	}
	if img := m.selfView(); img != nil {
		vw, vh := fit(min(w-4, 48), min(h-len(lines)-4, 14), 4, 3)
		if vw > 0 && vh > 0 {
			lines = append(lines, "", strings.Join(termimg.Render(img, vw, vh, m.cfg.Profile, rgb(p.Background)), "\n"))
		}
	}
	return lipgloss.Place(w, h, lipgloss.Center, lipgloss.Center, lipgloss.JoinVertical(lipgloss.Center, lines...),
		lipgloss.WithWhitespaceStyle(lipgloss.NewStyle().Background(hex(p.Background))))
}

// selfView is the local camera's latest frame, when it is on.
func (m Model) selfView() image.Image {
	if m.cfg.SelfView == nil || !m.camera {
		return nil
	}
	return m.cfg.SelfView()
}

// statusView is the bar under the tiles.
func (m Model) statusView() string {
	p := m.cfg.Theme.Palette
	parts := []string{m.title()}
	parts = append(parts, fmt.Sprintf("%d/%d", len(m.people)+1, m.room.MaxParticipants))
	if m.room.Locked {
		parts = append(parts, "🔒 locked")
	}
	if m.room.Visibility == "private" {
		parts = append(parts, "hidden")
	}
	parts = append(parts, clock(m.now.Sub(m.started)))
	mic, cam := "🎤 on", "📷 on"
	switch {
	case m.cfg.NoMic:
		mic = "no mic"
	case !m.mic:
		mic = "🔇 muted"
	}
	switch {
	case m.cfg.NoCamera:
		cam = "no camera"
	case !m.camera:
		cam = "📷 off"
	}
	parts = append(parts, mic, cam)
	if m.sharing {
		parts = append(parts, "💻 sharing")
	}
	if m.unread > 0 {
		parts = append(parts, fmt.Sprintf("💬 %d", m.unread))
	}
	if g := m.geo.Grid; g.Pages > 1 && m.geo.Mode != modeScreen {
		parts = append(parts, fmt.Sprintf("page %d/%d", m.page+1, g.Pages))
	}
	quality := m.graphicsStatus() + fmt.Sprintf("rtt %d ms · loss %.0f%% · %d kbps", m.stats.RTT.Milliseconds(), m.stats.Loss*100, m.stats.Kbps)
	qstyle := lipgloss.NewStyle().Foreground(hex(p.Text))
	if m.stats.Loss > 0.05 || m.stats.RTT > 400*time.Millisecond {
		qstyle = qstyle.Foreground(lipgloss.Color("#ff4040")).Bold(true)
	}
	if m.reconnecting > 0 {
		quality = fmt.Sprintf("reconnecting… (try %d)", m.reconnecting)
		qstyle = qstyle.Foreground(lipgloss.Color("#ff4040")).Bold(true)
	}
	left := strings.Join(parts, "  ·  ")
	if k := m.knockLine(); k != "" {
		left = k
	}
	if m.confirm != nil {
		left = m.confirm.question
	}
	bar := lipgloss.NewStyle().Background(hex(p.TileBorder)).Foreground(hex(p.Text))
	right := qstyle.Background(hex(p.TileBorder)).Render(" " + quality + " ")
	space := m.w - lipgloss.Width(left) - lipgloss.Width(right) - 1
	if space < 1 {
		left = truncate(left, max(1, m.w-lipgloss.Width(right)-2))
		space = max(1, m.w-lipgloss.Width(left)-lipgloss.Width(right)-1)
	}
	return bar.Render(" "+left+strings.Repeat(" ", space)) + right
}

// noticeFor is how long a notice (someone joined, left...) replaces the
// key help under the status bar.
const noticeFor = 6 * time.Second

// helpLine lists the keys, or shows the latest notice for a while.
func (m Model) helpLine() string {
	if m.mediaFailed != "" {
		return truncate(lipgloss.NewStyle().Foreground(lipgloss.Color("#ff4040")).Bold(true).Render(" "+m.mediaFailed), m.w)
	}
	if m.notice != "" && m.now.Sub(m.noticeAt) < noticeFor {
		return truncate(lipgloss.NewStyle().Foreground(hex(m.cfg.Theme.Palette.Accent)).Render(" "+m.notice), m.w)
	}
	var parts []string
	for _, b := range m.keys.short(m.me.Host) {
		h := b.Help()
		if m.sharing && h.Key == "s" {
			h.Desc = "stop sharing"
		}
		parts = append(parts, h.Key+" "+h.Desc)
	}
	return truncate(lipgloss.NewStyle().Faint(true).Render(" "+strings.Join(parts, " · ")), m.w)
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, mnt, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, mnt, s)
	}
	return fmt.Sprintf("%02d:%02d", mnt, s)
}

func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return lipgloss.NewStyle().MaxWidth(w).Render(s)
}

// hex turns a palette colour into a lipgloss colour.
func hex(s string) color.Color { return lipgloss.Color(s) }

// rgb turns "#rrggbb" into an RGBA.
func rgb(s string) color.RGBA {
	var c color.RGBA
	c.A = 255
	fmt.Sscanf(strings.TrimPrefix(s, "#"), "%02x%02x%02x", &c.R, &c.G, &c.B)
	return c
}

// endView says why the call ended and what to do next.
func (m Model) endView() string {
	pal := m.cfg.Theme.Palette
	what := m.over
	var next string
	switch {
	case errors.Is(m.err, client.ErrRemoved):
		what, next = "You were removed by the host.", "You cannot come back into this room. If it was a mistake, ask the host for a new one."
	case errors.Is(m.err, client.ErrEnded):
		what, next = "The host ended the room.", "Start another one with: rooms create"
	default:
		next = "Check that roomsd is running and your network is up, then: rooms join " + m.room.Link
	}
	lines := []string{
		lipgloss.NewStyle().Foreground(hex(pal.Accent)).Bold(true).Render(m.title()),
		"",
		lipgloss.NewStyle().Bold(true).Render(what),
		"",
		next,
		"",
		lipgloss.NewStyle().Faint(true).Render("press any key to close"),
	}
	card := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(hex(pal.Accent)).Padding(1, 3).
		Width(min(m.w-2, 80)).Render(lipgloss.JoinVertical(lipgloss.Center, lines...))
	return lipgloss.Place(m.w, m.h, lipgloss.Center, lipgloss.Center, card)
}
