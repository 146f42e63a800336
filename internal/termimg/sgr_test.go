package termimg

import "testing"

func TestStripANSIAndCellWidth(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		strip string
		width int
	}{
		{"plain text is unchanged", "hello", "hello", 5},
		{"truecolor SGR is removed", "\x1b[38;2;1;2;3;48;2;4;5;6m▀▀\x1b[0m", "▀▀", 2},
		{"256-colour SGR is removed", "\x1b[38;5;196m▄\x1b[48;5;21m \x1b[0m", "▄ ", 2},
		{"other CSI sequences are removed", "a\x1b[2Kb\x1b[?25lc", "abc", 3},
		{"OSC hyperlinks are removed", "\x1b]8;;https://x\x1b\\link\x1b]8;;\x07", "link", 4},
		{"a lone escape at the end is dropped", "ab\x1b", "ab", 2},
		{"an unterminated CSI is dropped", "ab\x1b[38;2", "ab", 2},
		{"wide runes are two cells", "张三", "张三", 4},
		{"combining marks take no cell", "e\u0301", "e\u0301", 1},
		{"empty", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripANSI(tt.in); got != tt.strip {
				t.Errorf("StripANSI(%q) = %q, want %q", tt.in, got, tt.strip)
			}
			if got := CellWidth(tt.in); got != tt.width {
				t.Errorf("CellWidth(%q) = %d, want %d", tt.in, got, tt.width)
			}
		})
	}
}
