package termimg

import (
	"image/color"
	"strings"

	"github.com/rooms-dev/rooms/internal/safetext"
)

// Placeholder draws a cols×rows block for a tile without video: bg colour with text centred in fg (lines split at '\n').
//
// Each line goes through safetext.Line, so a participant's name cannot
// smuggle escape sequences, bidirectional controls or invisible characters
// into the terminal; a line too wide for the block is cut, and lines beyond
// rows are left out.
func Placeholder(cols, rows int, text string, fg, bg color.RGBA, p Profile) []string {
	if rows <= 0 {
		return nil
	}
	lines := make([]string, rows)
	if cols <= 0 {
		return lines
	}
	texts := strings.Split(text, "\n")
	for i, t := range texts {
		texts[i] = fitWidth(sanitize(t), cols)
	}
	texts = texts[:min(len(texts), rows)]
	first := (rows - len(texts)) / 2

	var fgSGR, bgSGR string
	switch p {
	case ASCII:
	case ANSI256:
		fgSGR = string(appendSGR(nil, uint32(ansi256(fg.R, fg.G, fg.B)), 0, true, false, true))
		bgSGR = string(appendSGR(nil, 0, uint32(ansi256(bg.R, bg.G, bg.B)), false, true, true))
	default:
		fgSGR = string(appendSGR(nil, pack(fg.R, fg.G, fg.B), 0, true, false, false))
		bgSGR = string(appendSGR(nil, 0, pack(bg.R, bg.G, bg.B), false, true, false))
	}
	reset := ""
	if p != ASCII {
		reset = sgrReset
	}

	var b strings.Builder
	for y := range lines {
		t := ""
		if k := y - first; k >= 0 && k < len(texts) {
			t = texts[k]
		}
		w := CellWidth(t)
		left := (cols - w) / 2
		b.Reset()
		b.WriteString(bgSGR)
		b.WriteString(strings.Repeat(" ", left))
		if t != "" {
			b.WriteString(fgSGR)
			b.WriteString(t)
		}
		b.WriteString(strings.Repeat(" ", cols-w-left))
		b.WriteString(reset)
		lines[y] = b.String()
	}
	return lines
}

// sanitize makes one line of text safe to show and trims its spaces.
func sanitize(s string) string {
	return strings.TrimSpace(safetext.Line(s))
}

// fitWidth cuts s to at most cols cells.
func fitWidth(s string, cols int) string {
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > cols {
			return s[:i]
		}
		w += rw
	}
	return s
}
