package cli

import (
	"io"
	"strings"
	"unicode/utf8"
)

// table aligns columns by what a terminal shows: colour escapes take no
// room and emoji take two cells, which text/tabwriter gets wrong.
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

// cellWidth is how many terminal cells s takes.
func cellWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b { // skip an SGR sequence: ESC [ ... m
			j := strings.IndexByte(s[i:], 'm')
			if j < 0 {
				break
			}
			i += j + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n += runeWidth(r)
	}
	return n
}

// runeWidth covers what rooms prints: emoji and pictographs are wide,
// variation selectors and joiners take no room.
func runeWidth(r rune) int {
	switch {
	case r == 0xFE0F || r == 0x200D:
		return 0
	case r >= 0x1F300 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF:
		return 2
	}
	return 1
}
