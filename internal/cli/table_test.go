package cli

import (
	"strings"
	"testing"
)

func TestCellWidthWideScripts(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want int
	}{
		{"CJK", "会議室テスト", 12},
		{"CJK coloured", "\x1b[1m会議室\x1b[0m", 6},
		{"hangul", "회의실", 6},
		{"ZWJ family", "👨‍👩‍👧", 2},
		{"flag", "🇮🇹", 2},
		{"emoji with VS16", "❤️", 2},
		{"skin tone", "👍🏽", 2},
		{"combining accent", "e\u0301", 1},
		{"mixed", "🍹 会議", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cellWidth(tt.s); got != tt.want {
				t.Errorf("cellWidth(%q) = %d, want %d", tt.s, got, tt.want)
			}
		})
	}
}

// Every row's second column starts at the same terminal cell, whatever
// script or emoji the first one holds.
func TestTableAlignsCJKAndEmoji(t *testing.T) {
	tb := &table{}
	names := []string{"ROOM", "会議室テスト", "🍹 aperitivo", "👨‍👩‍👧 family", "🇮🇹 roma", "\x1b[1mplain\x1b[0m"}
	for _, n := range names {
		tb.row(n, "X")
	}
	var b strings.Builder
	if err := tb.write(&b, ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(names), b.String())
	}
	want := -1
	for _, l := range lines {
		i := strings.LastIndex(l, "X")
		col := cellWidth(l[:i])
		if want < 0 {
			want = col
		}
		if col != want {
			t.Errorf("column 2 of %q starts at cell %d, want %d", l, col, want)
		}
	}
	if want != cellWidth("会議室テスト")+2 {
		t.Errorf("column 2 at cell %d, want the widest name (12) + 2", want)
	}
}
