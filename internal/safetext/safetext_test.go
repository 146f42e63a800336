package safetext

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ASCII stays", "Ann Lee", "Ann Lee"},
		{"letters of every script stay", "José 张三 Ωμέγα عربي", "José 张三 Ωμέγα عربي"},
		{"spaces at the ends stay on one line", "  Bo ", "  Bo "},
		{"OSC 52 loses its ESC and BEL", "\x1b]52;c;ZXZpbA==\x07Bo", "]52;c;ZXZpbA==Bo"},
		{"OSC 0 with ST", "\x1b]0;pwned\x1b\\Bo", "]0;pwned\\Bo"},
		{"CSI", "\x1b[2J\x1b[HBo", "[2J[HBo"},
		{"the 8-bit CSI U+009B goes", "a\u009b31mb", "a31mb"},
		{"every C1 goes", "a\u0080\u0090\u009d\u009fb", "ab"},
		{"DEL and NUL go", "a\x7f\x00b", "ab"},
		{"a right-to-left override goes", "evil\u202Etxt.exe", "eviltxt.exe"},
		{"every bidi control goes", "\u200Ea\u200F\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069\u061Cb", "ab"},
		{"zero-width space, BOM, soft hyphen, word joiner go", "B\u200Bo\uFEFFb\u00ADb\u2060y", "Bobby"},
		{"Hangul fillers go", "\u3164\u115F\u1160\uFFA0Bo", "Bo"},
		{"a tab is a space", "a\tb", "a b"},
		{"a line break is the separator", "hi\nBo: fake", "hi ⏎ Bo: fake"},
		{"CR LF is one break", "one\r\ntwo", "one ⏎ two"},
		{"a lone CR would overwrite the line", "one\rtwo", "one ⏎ two"},
		{"NEL, LS, PS, VT, FF break too", "a\u0085b\u2028c\u2029d\ve\ff", "a ⏎ b ⏎ c ⏎ d ⏎ e ⏎ f"},
		{"empty lines and spaces around breaks go", "a  \n\n \n  b", "a ⏎ b"},
		{"breaks at the ends go", "\n\nhi\n", "hi"},
		{"with a break, spaces and tabs at either end of every line go", "  a\t\n\t \u3000b  ", "a ⏎ b"},
		{"a dropped character does not start a line", "a\n\x1b\u202E\n b", "a ⏎ b"},
		{"only breaks is nothing", "\n \r\n", ""},
		{"invalid UTF-8 is U+FFFD", "a\xffb\xc0", "a\uFFFDb\uFFFD"},
		{"a ZWJ emoji sequence stays", "👩\u200D💻", "👩\u200D💻"},
		{"a family stays", "👨\u200D👩\u200D👧", "👨\u200D👩\u200D👧"},
		{"a skin tone then ZWJ stays", "👩🏽\u200D🚀", "👩🏽\u200D🚀"},
		{"VS16 then ZWJ stays (rainbow flag)", "🏳\uFE0F\u200D🌈", "🏳\uFE0F\u200D🌈"},
		{"a ZWJ between letters goes", "B\u200Do", "Bo"},
		{"a ZWJ at the ends goes", "\u200D😀\u200D", "😀"},
		{"a ZWJ before a break goes", "😀\u200D\n😀", "😀 ⏎ 😀"},
		{"an Indic ZWJ after a virama stays", "क्\u200Dष", "क्\u200Dष"},
		{"a Persian ZWNJ between letters stays", "می\u200Cخواهم", "می\u200Cخواهم"},
		{"a ZWNJ before a space goes", "a\u200C b", "a b"},
		{"a subdivision flag keeps its tags", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"},
		{"tags without a flag go (hidden text)", "hi\U000E0069\U000E0067\U000E006E", "hi"},
		{"tags after the cancel tag go", "🏴\U000E0067\U000E007F\U000E0067", "🏴\U000E0067\U000E007F"},
		{"a long tag run is cut", "🏴" + strings.Repeat("\U000E0061", 10), "🏴" + strings.Repeat("\U000E0061", maxTags)},
		{"combining marks stay", "e\u0301", "e\u0301"},
		{"a variation selector stays", "❤\uFE0F", "❤\uFE0F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Line(tt.in)
			if got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Line(got); again != got {
				t.Errorf("Line is not idempotent: %q then %q", got, again)
			}
			if err := Check(got); err != nil && !strings.Contains(got, "\t") {
				t.Errorf("Check(Line(%q)) = %v", tt.in, err)
			}
			if (Check(tt.in) == nil) != (tt.in == tt.want) {
				t.Errorf("Check(%q) = %v, but Line changes it: %v", tt.in, Check(tt.in), tt.in != tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"one line stays", "hello", "hello"},
		{"lines stay", "one\ntwo", "one\ntwo"},
		{"tabs stay", "a\tb", "a\tb"},
		{"CR LF and CR become LF", "a\r\nb\rc\u2028d", "a\nb\nc\nd"},
		{"at most one empty line", "a\n\n\n\n\nb", "a\n\nb"},
		{"a run of breaks with dropped characters in it is one run", "a\n\u200B\n\x1b\nb", "a\n\nb"},
		{"escapes and bidi go", "\x1b]52;c;eA==\x07hi\u202E\u009b", "]52;c;eA==hi"},
		{"invalid UTF-8 is U+FFFD", "\xfe", "\uFFFD"},
		{"emoji sequences stay", "👩\u200D💻\nok", "👩\u200D💻\nok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			} else if again := Text(got); again != got {
				t.Errorf("Text is not idempotent: %q then %q", got, again)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for nil
	}{
		{"Friday drinks 🍹", ""},
		{"👩\u200D💻 club", ""},
		{"evil\u202Etxt", "U+202E (a bidirectional control)"},
		{"a\u009bb", "U+009B (a C1 control character)"},
		{"a\x1b]0;x\x07", "U+001B (a control character)"},
		{"a\nb", "U+000A (a line break)"},
		{"a\tb", "U+0009 (a tab)"},
		{"a\u200Bb", "U+200B (an invisible format character)"},
		{"B\u200Do", "U+200D (a zero-width joiner outside an emoji or a word)"},
		{"x\U000E0041", "U+E0041 (a tag character outside a flag)"},
		{"ab\xff", "invalid UTF-8 at byte 2"},
	}
	for _, tt := range tests {
		err := Check(tt.in)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tt.in, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("Check(%q) = %v, want %q", tt.in, err, tt.want)
		}
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Errorf("Check(%q) is not an *Error", tt.in)
		}
	}
}

func TestEscapeJSON(t *testing.T) {
	v := map[string]string{"name": "a\u009b\u202E\x7f\u200D\U000E0041 José 👩\u200D💻", "link": "http://x/r/1"}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out := EscapeJSON(b)
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("the escaped JSON does not parse: %v\n%s", err, out)
	}
	if back["name"] != v["name"] || back["link"] != v["link"] {
		t.Errorf("the escaped JSON means something else: %q", back)
	}
	for _, r := range string(out) {
		if r != '\n' && Check(string(r)) != nil {
			t.Errorf("%U is left in the JSON: %s", r, out)
		}
	}
	if !strings.Contains(string(out), `\u009b`) || !strings.Contains(string(out), `\udb40\udc41`) || !strings.Contains(string(out), "José") {
		t.Errorf("unexpected escaping: %s", out)
	}
	plain := []byte(`{"a":"b"}`)
	if got := EscapeJSON(plain); &got[0] != &plain[0] {
		t.Error("ASCII JSON is copied")
	}
}

// forbidden reports the first rune of s no rule may let through.
func forbidden(s string) (rune, bool) {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return r, true
			}
		}
		switch kindOf(r) {
		case tab, lineBreak, control, c1, bidi, format:
			return r, true
		}
	}
	return 0, false
}

// FuzzLine checks the invariants on any input: the output is valid UTF-8,
// holds nothing from the forbidden set (no control, C1, bidi, format
// character or line break), passes Check, and a second pass changes
// nothing; Text keeps the same promises but for tabs and line breaks.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "Ann", "\x1b]52;c;ZXZpbA==\x07", "a\u009b31m", "evil\u202Etxt", "hi\nBo: fake",
		"👩\u200D💻", "🏴\U000E0067\U000E0062\U000E007F", "\xff\xfe", "a\r\n\r\nb", "क्\u200Dष"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := Line(s)
		if !utf8.ValidString(l) {
			t.Fatalf("Line(%q) = %q is not UTF-8", s, l)
		}
		if r, bad := forbidden(l); bad {
			t.Fatalf("Line(%q) = %q holds %U", s, l, r)
		}
		if err := Check(l); err != nil {
			t.Fatalf("Check(Line(%q)) = %v", s, err)
		}
		if again := Line(l); again != l {
			t.Fatalf("Line(%q) = %q, then %q", s, l, again)
		}
		if Check(s) == nil && l != s {
			t.Fatalf("Check passes %q, which Line changes to %q", s, l)
		}
		x := Text(s)
		if !utf8.ValidString(x) {
			t.Fatalf("Text(%q) = %q is not UTF-8", s, x)
		}
		if r, bad := forbidden(strings.NewReplacer("\n", "", "\t", "").Replace(x)); bad {
			t.Fatalf("Text(%q) = %q holds %U", s, x, r)
		}
		if again := Text(x); again != x {
			t.Fatalf("Text(%q) = %q, then %q", s, x, again)
		}
		if strings.Contains(x, "\n\n\n") {
			t.Fatalf("Text(%q) = %q keeps more than one empty line", s, x)
		}
	})
}
