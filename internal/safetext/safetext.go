// Package safetext holds the one set of rules for text that came from
// someone else (names, room names, chat, a server's messages) before it is
// shown on a terminal or stored for others to see. A terminal obeys control
// characters and escape sequences (a clipboard write, a window title, a
// cleared screen), a bidirectional control reorders what follows it, and a
// line break lets one line pass for another: none of these survive here.
//
// Line is for one-line display (a name, a room name, a chat message under its
// sender's name); Text keeps line breaks, for the server's copy of chat; Check
// says whether a one-line value may be stored as it is and, if not, names the
// character; EscapeJSON makes encoded JSON safe to print. Standard library
// only, no I/O.
package safetext

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Separator stands for the line breaks inside one-line text: a chat message
// of two lines shows as "one ⏎ two", under its sender's name.
const Separator = " ⏎ "

// maxTags bounds a flag's tag sequence (🏴 and a subdivision code such as
// gbsct, then the cancel tag: 6); a longer run is invisible text.
const maxTags = 7

// maxBreaks is how many line breaks in a row Text keeps: one empty line.
const maxBreaks = 2

const (
	zwj       = 0x200D // zero-width joiner: emoji sequences, some scripts
	zwnj      = 0x200C // zero-width non-joiner: Persian, Indic scripts
	blackFlag = 0x1F3F4
	cancelTag = 0xE007F
	vs16      = 0xFE0F // emoji presentation selector
)

// kind is what a rune is to these rules.
type kind uint8

const (
	plain     kind = iota // shown as it is
	tab                   // a space in one line; kept by Text
	lineBreak             // LF, CR, VT, FF, NEL, U+2028, U+2029
	control               // C0 but tab and breaks, and DEL
	c1                    // U+0080–U+009F (U+009B is the 8-bit CSI)
	bidi                  // reorders the text around it
	format                // invisible: zero-width space, BOM, soft hyphen, fillers...
	joiner                // ZWJ and ZWNJ: kept only inside a sequence that needs them
	tag                   // U+E0020–U+E007F: kept only in a flag's tag sequence
	invalid               // a byte that is not UTF-8
)

// what names a kind for an error message.
var what = [...]string{
	plain:     "a character",
	tab:       "a tab",
	lineBreak: "a line break",
	control:   "a control character",
	c1:        "a C1 control character",
	bidi:      "a bidirectional control",
	format:    "an invisible format character",
	joiner:    "a zero-width joiner outside an emoji or a word",
	tag:       "a tag character outside a flag",
	invalid:   "invalid UTF-8",
}

// kindOf classifies one rune, out of context.
func kindOf(r rune) kind {
	switch {
	case r >= 0x20 && r < 0x7f:
		return plain
	case r == '\t':
		return tab
	case r == '\n', r == '\r', r == '\v', r == '\f', r == 0x85, r == 0x2028, r == 0x2029:
		return lineBreak
	case r < 0x20 || r == 0x7f:
		return control
	case r <= 0x9f:
		return c1
	case r < 0xad:
		return plain
	case r == 0x061C, r == 0x200E, r == 0x200F, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return bidi
	case r == zwj, r == zwnj:
		return joiner
	case r >= 0xE0020 && r <= cancelTag:
		return tag
	case r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0: // Hangul fillers: letters that show nothing
		return format
	case unicode.Is(unicode.Cf, r):
		return format
	}
	return plain
}

// emoji reports whether r is a pictograph or symbol an emoji sequence is made of.
func emoji(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r > 0xff && unicode.Is(unicode.So, r)
}

// letter and mark are runes that are always kept and that a script's
// joiner may stand between.
func letter(r rune) bool { return kindOf(r) == plain && unicode.IsLetter(r) }
func mark(r rune) bool   { return unicode.In(r, unicode.Mn, unicode.Mc) }

// stays decides a joiner between prev (the last rune kept, or -1) and next
// (the rune after it, or -1): a ZWJ inside an emoji sequence (👩‍💻, 🏳️‍🌈)
// or after a virama (Indic conjuncts), a ZWNJ between the letters of a
// word (Persian). Everywhere else it is invisible text and goes.
func joinerStays(r, prev, next rune) bool {
	if r == zwj {
		return (emoji(prev) || prev == vs16) && emoji(next) || mark(prev) && letter(next)
	}
	return (letter(prev) || mark(prev)) && letter(next)
}

// walk calls f for each rune of s, in order, with its byte offset, its
// kind and whether it is kept. Invalid UTF-8 comes as utf8.RuneError of
// kind invalid, one byte at a time; CR LF comes as one line break. What
// stays of joiners and tags depends on the runes kept before them, so the
// rules give the same answer on their own output (they are idempotent).
func walk(s string, f func(i int, r rune, k kind, keep bool)) {
	prev := rune(-1) // the last rune shown; a break or a tab counts as a space
	tags := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		k := kindOf(r)
		if r == utf8.RuneError && n == 1 {
			k = invalid
		}
		if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++ // CR LF is one break, reported at the LF
			continue
		}
		keep := k == plain
		switch k {
		case joiner:
			next := rune(-1)
			if i+n < len(s) {
				next, _ = utf8.DecodeRuneInString(s[i+n:])
			}
			keep = joinerStays(r, prev, next)
		case tag:
			keep = (prev == blackFlag || tags > 0 && prev != cancelTag) && tags < maxTags
		}
		f(i, r, k, keep)
		switch {
		case keep:
			prev = r
		case k == invalid:
			prev = utf8.RuneError
		case k == tab || k == lineBreak:
			prev = ' '
		}
		if keep && k == tag {
			tags++
		} else if keep || k == tab || k == lineBreak || k == invalid {
			tags = 0
		}
		i += n
	}
}

// safeASCII reports whether s is printable ASCII only, which every rule
// leaves as it is.
func safeASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Line makes s safe to show on one line. Control characters (C0, DEL, C1),
// bidirectional controls, invisible format characters and joiners outside
// the sequences that need them are dropped; a tab becomes a space; invalid
// UTF-8 becomes U+FFFD; line breaks become Separator, with the spaces
// around them, empty lines and breaks at either end left out. Line(Line(s))
// == Line(s).
func Line(s string) string {
	if safeASCII(s) {
		return s
	}
	out := make([]byte, 0, len(s))
	seg := 0          // where the current line starts in out
	broken := false   // a line break was seen: lines are trimmed and joined
	nonEmpty := false // a line with text was written
	endLine := func() {
		line := bytes.TrimFunc(out[seg:], unicode.IsSpace)
		n := copy(out[seg:], line)
		out = out[:seg+n]
		if n > 0 {
			nonEmpty = true
		}
		seg = len(out)
	}
	walk(s, func(i int, r rune, k kind, keep bool) {
		if k == lineBreak {
			endLine()
			broken = true
			return
		}
		if broken && len(out) == seg {
			if k == tab || keep && unicode.IsSpace(r) || !keep && k != invalid {
				return // spaces at the start of a line after a break, and what is dropped
			}
			if nonEmpty {
				out = append(out, Separator...) // the first text of a line after one with text
				seg = len(out)
			}
		}
		switch {
		case keep:
			out = utf8.AppendRune(out, r)
		case k == tab:
			out = append(out, ' ')
		case k == invalid:
			out = utf8.AppendRune(out, utf8.RuneError)
		}
	})
	if broken {
		endLine()
	}
	return string(out)
}

// Text is Line for text that may hold several lines (chat as the server
// keeps it, for pages that show it in a block of its own): the same
// characters go, but tabs stay and every line break becomes "\n", with at
// most one empty line in a row. Text(Text(s)) == Text(s).
func Text(s string) string {
	if safeASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	breaks := 0
	walk(s, func(i int, r rune, k kind, keep bool) {
		if k == lineBreak {
			if breaks++; breaks <= maxBreaks {
				b.WriteByte('\n')
			}
			return
		}
		switch {
		case keep, k == tab:
			b.WriteRune(r)
		case k == invalid:
			b.WriteRune(utf8.RuneError)
		default:
			return // dropped: the run of breaks goes on
		}
		breaks = 0
	})
	return b.String()
}

// Error says which character made Check refuse a text.
type Error struct {
	Rune   rune // utf8.RuneError for invalid UTF-8
	Offset int  // in bytes
	kind   kind
}

func (e *Error) Error() string {
	if e.kind == invalid {
		return fmt.Sprintf("invalid UTF-8 at byte %d", e.Offset)
	}
	return fmt.Sprintf("%U (%s)", e.Rune, what[e.kind])
}

// Check returns nil when s can be shown on one line as it is (Line(s) == s
// and s holds no tab), else an *Error naming the first character that
// cannot, for a server refusing a name.
func Check(s string) error {
	if safeASCII(s) {
		return nil
	}
	var bad *Error
	walk(s, func(i int, r rune, k kind, keep bool) {
		if bad == nil && !keep {
			bad = &Error{Rune: r, Offset: i, kind: k}
		}
	})
	if bad != nil {
		return bad
	}
	return nil
}

// EscapeJSON rewrites encoded JSON so it can go to a terminal: every
// character the rules above would drop or change, which encoding/json
// writes as it is (DEL, C1 controls, bidirectional controls, invisible
// format characters, joiners, tags), becomes a \uXXXX escape. The JSON
// means the same; only its bytes change. It assumes b came from
// encoding/json (control characters below U+0020 are escaped already, and
// such a character outside a string is JSON's own whitespace).
func EscapeJSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:i]...)
	for i < len(b) {
		if c := b[i]; c < 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch k := kindOf(r); {
		case r == utf8.RuneError && n == 1:
			out = append(out, `\ufffd`...)
		case k == plain:
			out = append(out, b[i:i+n]...)
		case r > 0xFFFF:
			r -= 0x10000
			out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return out
}
