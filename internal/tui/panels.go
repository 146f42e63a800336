package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
)

// panelView draws the open side panel: people, chat or help.
func (m Model) panelView() string {
	h := m.geo.H
	pal := m.cfg.Theme.Palette
	var title string
	var lines []string
	switch m.panel {
	case panelPeople:
		title, lines = fmt.Sprintf("People (%d)", len(m.people)+1), m.peopleLines()
	case panelChat:
		title, lines = "Chat", m.chatPanelLines(h)
	case panelHelp:
		title, lines = "Keys", m.helpLines()
	}
	body := lipgloss.NewStyle().Bold(true).Foreground(hex(pal.Accent)).Render(title) + "\n\n" + strings.Join(lines, "\n")
	return lipgloss.NewStyle().Width(sidePanelWidth-2).Height(h-2).
		Background(hex(pal.Background)).Foreground(hex(pal.Text)).
		Border(lipgloss.RoundedBorder()).BorderForeground(hex(pal.TileBorder)).BorderBackground(hex(pal.Background)).
		Padding(0, 1).Render(body)
}

// peopleLines is the people panel: this person, everyone else (host
// first), and for a host who knocks.
func (m Model) peopleLines() []string {
	pal := m.cfg.Theme.Palette
	me := "• " + m.me.Name + " (you)"
	if m.me.Host {
		me += " ★ host"
	}
	lines := []string{truncate(me, panelTextWidth)}
	for _, p := range m.sortedPeople() {
		line := "• " + p.Name
		if p.Host {
			line += " ★ host"
		}
		if p.Muted.Audio {
			line += " 🔇"
		}
		if slices.Contains(m.screens, p.ID) {
			line += " 💻"
		}
		if p.speaking {
			line += " ◀"
		}
		// One line per person, however long the name.
		line = truncate(line, panelTextWidth)
		if p.speaking {
			line = lipgloss.NewStyle().Foreground(hex(pal.Accent)).Render(line)
		}
		lines = append(lines, line)
	}
	if m.me.Host && len(m.knocks) > 0 {
		lines = append(lines, "", fmt.Sprintf("Knocking (%d)", len(m.knocks)))
		for i, kn := range m.knocks {
			line := "• " + kn.Name
			if i == 0 {
				line += " ◀ a admit · d decline"
			}
			lines = append(lines, line)
		}
	}
	if m.me.Host {
		lines = append(lines, "", lipgloss.NewStyle().Faint(true).Render("select a tile, k to remove"))
	}
	return lines
}

// chatPanelLines is the chat panel in an area h high: the newest messages
// at the foot, above the input.
func (m Model) chatPanelLines(h int) []string {
	var lines []string
	start := max(0, len(m.chat)-(h-5))
	for _, c := range m.chat[start:] {
		who := lipgloss.NewStyle().Foreground(hex(m.cfg.Theme.Palette.Accent)).Render(c.Name + ":")
		lines = append(lines, chatLines(who, c.Text, panelTextWidth)...)
	}
	if len(lines) > h-5 {
		lines = lines[len(lines)-(h-5):]
	}
	for len(lines) < h-5 {
		lines = append(lines, "")
	}
	return append(lines, "", m.input.View())
}

// helpLines is the help panel: every key, and the host's.
func (m Model) helpLines() []string {
	var lines []string
	for _, b := range []struct{ k, d string }{
		{"m", "mute or unmute your mic"}, {"v", "turn your camera off or on"},
		{"s", "share screen, or stop"},
		{"tab", "people in the call"}, {"c", "chat (enter sends, esc closes)"},
		{"← → ↑ ↓", "select a tile"}, {"p or ⏎", "pin the selected tile big"},
		{"esc", "unpin"}, {"[ ]", "page, or next screen"}, {"q", "leave the call"},
	} {
		lines = append(lines, fmt.Sprintf("%-8s %s", b.k, b.d))
	}
	lines = append(lines, "", fmt.Sprintf("video: %.1f fps per tile", m.fps))
	if m.me.Host {
		lines = append(lines, "", "As the host:")
		for _, b := range []struct{ k, d string }{
			{"l", "lock or unlock the room"}, {"h", "hide or list the room"},
			{"k", "remove the selected person"}, {"e", "end the room for all"},
			{"a", "let in who knocks"}, {"d", "turn them away"},
		} {
			lines = append(lines, fmt.Sprintf("%-8s %s", b.k, b.d))
		}
		lines = append(lines, "", "Nobody can mute anybody else.")
	}
	return lines
}

// chatIndent starts every line of a chat message but its first, so a long
// message cannot wrap into what looks like a line of someone else's.
const chatIndent = "  "

// chatLines is one chat message in lines of at most w cells: the sender's
// name and the text (one line already: its line breaks are
// safetext.Separator), wrapped, and every line after the first indented.
func chatLines(who, text string, w int) []string {
	lines := wrap(who+" "+text, w-len(chatIndent))
	for i := 1; i < len(lines); i++ {
		lines[i] = chatIndent + lines[i]
	}
	return lines
}

// wrap breaks s into lines of at most w cells.
func wrap(s string, w int) []string {
	return strings.Split(lipgloss.NewStyle().Width(w).Render(s), "\n")
}
