package termimg

import (
	"image/color"
	"strings"
	"testing"
)

func TestPlaceholder(t *testing.T) {
	fg := color.RGBA{232, 234, 240, 255}
	tests := []struct {
		name       string
		cols, rows int
		text       string
		p          Profile
		want       []string // the lines with escapes stripped
	}{
		{"initials are centred", 10, 3, "AB", TrueColor, []string{"          ", "    AB    ", "          "}},
		{"odd space leaves the extra cell on the right", 9, 2, "AB", TrueColor, []string{"   AB    ", "         "}},
		{"long text is cut to the width", 6, 1, "camera off", TrueColor, []string{"camera"}},
		{"lines are centred as a block", 12, 4, "JD\ncamera off", ANSI256, []string{"            ", "     JD     ", " camera off ", "            "}},
		{"escape sequences in a name are dropped", 8, 1, "\x1b[2Jev\x07il", TrueColor, []string{"[2Jevil "}},
		{"wide initials count two cells", 8, 1, "张三", TrueColor, []string{"  张三  "}},
		{"a wide rune that would overflow is cut", 3, 1, "张三", TrueColor, []string{"张 "}},
		{"no text gives a flat block", 4, 2, "", ASCII, []string{"    ", "    "}},
		{"a one-cell block", 1, 1, "AB", TrueColor, []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := Placeholder(tt.cols, tt.rows, tt.text, fg, tileBg, tt.p)
			if len(lines) != tt.rows {
				t.Fatalf("got %d lines, want %d", len(lines), tt.rows)
			}
			for i, line := range lines {
				if got := StripANSI(line); got != tt.want[i] {
					t.Errorf("line %d = %q, want %q", i, got, tt.want[i])
				}
				if w := CellWidth(line); w != tt.cols {
					t.Errorf("line %d is %d cells wide, want %d", i, w, tt.cols)
				}
				if strings.Count(line, "\x1b") != strings.Count(line, "\x1b[") {
					t.Errorf("line %d carries a non-SGR escape: %q", i, line)
				}
				cells := parseLine(t, line)
				for _, c := range cells {
					switch {
					case tt.p == ASCII:
						if c.fg != unset || c.bg != unset {
							t.Errorf("line %d: colour in ASCII output: %q", i, line)
						}
					case c.ch == ' ' && c.bg == unset:
						t.Errorf("line %d: a space without the tile background: %q", i, line)
					case c.ch != ' ' && c.fg == unset:
						t.Errorf("line %d: text %q without the foreground colour", i, c.ch)
					}
				}
				if tt.p != ASCII && !strings.HasSuffix(line, sgrReset) {
					t.Errorf("line %d does not end with a reset: %q", i, line)
				}
			}
		})
	}
}

func TestPlaceholderColours(t *testing.T) {
	fg := color.RGBA{255, 140, 0, 255}
	line := Placeholder(6, 1, "AB", fg, tileBg, TrueColor)[0]
	cells := parseLine(t, line)
	for _, c := range cells {
		if c.bg != rgb(tileBg) {
			t.Errorf("cell %q bg %v, want %v", c.ch, c.bg, rgb(tileBg))
		}
		if c.ch != ' ' && c.fg != rgb(fg) {
			t.Errorf("cell %q fg %v, want %v", c.ch, c.fg, rgb(fg))
		}
	}
	line = Placeholder(6, 1, "AB", fg, tileBg, ANSI256)[0]
	if strings.Contains(line, ";2;") {
		t.Errorf("truecolor in 256-colour placeholder %q", line)
	}
	for _, c := range parseLine(t, line) {
		if c.ch != ' ' && c.fg != paletteBit|208 {
			t.Errorf("cell %q fg %v, want idx208", c.ch, c.fg)
		}
	}
}

func TestPlaceholderOfNothing(t *testing.T) {
	if got := Placeholder(10, 0, "AB", white, black, TrueColor); len(got) != 0 {
		t.Errorf("0 rows: got %q", got)
	}
	if got := Placeholder(0, 2, "AB", white, black, TrueColor); len(got) != 2 || got[0] != "" {
		t.Errorf("0 cols: got %q, want two empty lines", got)
	}
}
