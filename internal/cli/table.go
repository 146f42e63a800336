package cli

import (
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// table aligns columns by what a terminal shows: colour escapes take no
// room, CJK characters and emoji take two cells, which text/tabwriter gets
// wrong.
type table struct {
	rows [][]string
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

// write pads every column but the last to its widest cell, two spaces apart.
func (t *table) write(w io.Writer, indent string) error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], cellWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.WriteString(indent)
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-cellWidth(c)+2))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// cellWidth is how many terminal cells s takes: escape sequences none,
// and each grapheme cluster (a CJK character, an emoji with its modifiers,
// a ZWJ family, a flag) what terminals give it, by the Unicode width
// tables ansi.StringWidth keeps.
func cellWidth(s string) int { return ansi.StringWidth(s) }
