package termimg

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	sgrReset  = "\x1b[0m"
	upperHalf = "▀" // U+2580: foreground paints the upper pixel
	lowerHalf = "▄" // U+2584: foreground paints the lower pixel
	fullBlock = "█" // U+2588: foreground paints the whole cell
)

// noColour is a colour state no pixel can have: nothing set yet on this line.
const noColour = ^uint32(0)

// decimal holds "0".."255", so SGR parameters need no formatting.
var decimal = func() (d [256]string) {
	for i := range d {
		d[i] = strconv.Itoa(i)
	}
	return d
}()

// appendCells appends one line of half-block cells: top[i] over bot[i]. It sets
// a colour only when it differs from the one in effect, and of the equivalent
// spellings of a cell (▀ or ▄; space or █ for a flat cell) picks the one that
// needs the fewest changes.
func appendCells(out []byte, top, bot []uint32, c256 bool) []byte {
	bot = bot[:len(top)]
	fg, bg := noColour, noColour
	for i, t := range top {
		b := bot[i]
		if t == b {
			switch {
			case bg == t:
				out = append(out, ' ')
			case fg == t:
				out = append(out, fullBlock...)
			default:
				out = appendSGR(out, 0, t, false, true, c256)
				bg = t
				out = append(out, ' ')
			}
			continue
		}
		up := b2i(fg != t) + b2i(bg != b)
		down := b2i(fg != b) + b2i(bg != t)
		glyph := upperHalf
		if down < up {
			glyph = lowerHalf
			t, b = b, t
			up = down
		}
		// Now the cell wants foreground t and background b.
		if up > 0 {
			out = appendSGR(out, t, b, fg != t, bg != b, c256)
			fg, bg = t, b
		}
		out = append(out, glyph...)
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendSGR appends one SGR sequence setting the foreground, the background or
// both: 38;2;R;G;B / 48;2;R;G;B, or 38;5;N / 48;5;N when c256.
func appendSGR(out []byte, fg, bg uint32, setFg, setBg, c256 bool) []byte {
	out = append(out, "\x1b["...)
	if setFg {
		out = appendColour(out, '3', fg, c256)
	}
	if setBg {
		if setFg {
			out = append(out, ';')
		}
		out = appendColour(out, '4', bg, c256)
	}
	return append(out, 'm')
}

func appendColour(out []byte, layer byte, v uint32, c256 bool) []byte {
	if c256 {
		out = append(out, layer, '8', ';', '5', ';')
		return append(out, decimal[v&0xff]...)
	}
	out = append(out, layer, '8', ';', '2', ';')
	out = append(out, decimal[v>>16&0xff]...)
	out = append(out, ';')
	out = append(out, decimal[v>>8&0xff]...)
	out = append(out, ';')
	return append(out, decimal[v&0xff]...)
}

// StripANSI removes escape sequences (CSI such as SGR, OSC, and other two-byte escapes) from s.
func StripANSI(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			i = skipEscape(s, i)
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != 0x1b {
			j++
		}
		b.WriteString(s[i:j])
		i = j
	}
	return b.String()
}

// skipEscape returns the index just past the escape sequence starting at s[i].
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters and intermediates, then a final byte 0x40–0x7e
		for i++; i < len(s); i++ {
			if c := s[i]; c >= 0x40 && c <= 0x7e {
				return i + 1
			}
		}
		return i
	case ']', 'P', '_', '^': // OSC, DCS, APC, PM: up to BEL or ST (ESC \)
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	default: // a two-byte escape
		return i + 1
	}
}

// CellWidth returns how many terminal cells line fills once escape sequences are stripped.
//
// Every rune Render emits is one cell wide, so for its lines this is the rune
// count; for other text (a placeholder's initials) East Asian wide runes count
// two and combining marks none.
func CellWidth(line string) int {
	w := 0
	for i := 0; i < len(line); {
		c := line[i]
		if c == 0x1b {
			i = skipEscape(line, i)
			continue
		}
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f {
				w++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(line[i:])
		w += runeWidth(r)
		i += n
	}
	return w
}

// runeWidth is a small approximation of wcwidth: 0 for controls and combining
// marks, 2 for East Asian wide and fullwidth runes and most emoji, else 1.
func runeWidth(r rune) int {
	switch {
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		return 0
	case r < 0x300:
		return 1
	case inRanges(r, zeroWidth):
		return 0
	case r >= 0x1100 && inRanges(r, wide):
		return 2
	}
	return 1
}

type runeRange struct{ lo, hi rune }

var zeroWidth = []runeRange{
	{0x0300, 0x036f}, {0x0483, 0x0489}, {0x0591, 0x05bd}, {0x0610, 0x061a},
	{0x064b, 0x065f}, {0x0e31, 0x0e31}, {0x0e34, 0x0e3a}, {0x0e47, 0x0e4e},
	{0x1ab0, 0x1aff}, {0x1dc0, 0x1dff}, {0x200b, 0x200f}, {0x2028, 0x202e},
	{0x2060, 0x2064}, {0x20d0, 0x20ff}, {0x3099, 0x309a}, {0xfe00, 0xfe0f},
	{0xfe20, 0xfe2f}, {0xfeff, 0xfeff}, {0xe0001, 0xe007f}, {0xe0100, 0xe01ef},
}

var wide = []runeRange{
	{0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec},
	{0x23f0, 0x23f0}, {0x23f3, 0x23f3}, {0x25fd, 0x25fe}, {0x2614, 0x2615},
	{0x2648, 0x2653}, {0x267f, 0x267f}, {0x2693, 0x2693}, {0x26a1, 0x26a1},
	{0x26aa, 0x26ab}, {0x26bd, 0x26be}, {0x26c4, 0x26c5}, {0x26ce, 0x26ce},
	{0x26d4, 0x26d4}, {0x26ea, 0x26ea}, {0x26f2, 0x26f3}, {0x26f5, 0x26f5},
	{0x26fa, 0x26fa}, {0x26fd, 0x26fd}, {0x2705, 0x2705}, {0x270a, 0x270b},
	{0x2728, 0x2728}, {0x274c, 0x274c}, {0x274e, 0x274e}, {0x2753, 0x2755},
	{0x2757, 0x2757}, {0x2795, 0x2797}, {0x27b0, 0x27b0}, {0x27bf, 0x27bf},
	{0x2b1b, 0x2b1c}, {0x2b50, 0x2b50}, {0x2b55, 0x2b55}, {0x2e80, 0x303e},
	{0x3041, 0x3098}, {0x309b, 0x33ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff},
	{0xa000, 0xa4cf}, {0xa960, 0xa97f}, {0xac00, 0xd7a3}, {0xf900, 0xfaff},
	{0xfe10, 0xfe19}, {0xfe30, 0xfe6f}, {0xff00, 0xff60}, {0xffe0, 0xffe6},
	{0x16fe0, 0x18cff}, {0x1b000, 0x1b2ff}, {0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf},
	{0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251}, {0x1f300, 0x1f320},
	{0x1f32d, 0x1f335}, {0x1f337, 0x1f37c}, {0x1f37e, 0x1f393}, {0x1f3a0, 0x1f3ca},
	{0x1f3cf, 0x1f3d3}, {0x1f3e0, 0x1f3f0}, {0x1f3f4, 0x1f3f4}, {0x1f3f8, 0x1f43e},
	{0x1f440, 0x1f440}, {0x1f442, 0x1f4fc}, {0x1f4ff, 0x1f53d}, {0x1f54b, 0x1f54e},
	{0x1f550, 0x1f567}, {0x1f57a, 0x1f57a}, {0x1f595, 0x1f596}, {0x1f5a4, 0x1f5a4},
	{0x1f5fb, 0x1f64f}, {0x1f680, 0x1f6c5}, {0x1f6cc, 0x1f6cc}, {0x1f6d0, 0x1f6d2},
	{0x1f6d5, 0x1f6d7}, {0x1f6dc, 0x1f6df}, {0x1f6eb, 0x1f6ec}, {0x1f6f4, 0x1f6fc},
	{0x1f7e0, 0x1f7eb}, {0x1f7f0, 0x1f7f0}, {0x1f90c, 0x1f93a}, {0x1f93c, 0x1f945},
	{0x1f947, 0x1f9ff}, {0x1fa70, 0x1faff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
}

// inRanges reports whether r falls in one of the sorted ranges.
func inRanges(r rune, rs []runeRange) bool {
	lo, hi := 0, len(rs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case r < rs[m].lo:
			hi = m
		case r > rs[m].hi:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}
