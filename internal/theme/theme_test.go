package theme

import (
	"regexp"
	"testing"
)

func TestEveryThemeIsComplete(t *testing.T) {
	hex := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	name := regexp.MustCompile(`^[a-z][a-z-]*$`)
	seen := map[string]bool{}
	for _, th := range All() {
		if !name.MatchString(th.Name) {
			t.Errorf("theme name %q is not lower-case words joined by dashes", th.Name)
		}
		if seen[th.Name] {
			t.Errorf("theme %q is listed twice", th.Name)
		}
		seen[th.Name] = true
		if th.Emoji == "" || th.Title == "" || th.Description == "" {
			t.Errorf("theme %q lacks an emoji, title or description: %+v", th.Name, th)
		}
		for what, c := range map[string]string{"accent": th.Palette.Accent, "background": th.Palette.Background, "text": th.Palette.Text, "tile border": th.Palette.TileBorder} {
			if !hex.MatchString(c) {
				t.Errorf("theme %q %s colour %q is not #rrggbb", th.Name, what, c)
			}
		}
	}
	if len(seen) < 8 {
		t.Errorf("want at least 8 themes, have %d", len(seen))
	}
	for _, must := range []string{Default, "aperitivo", "coffee", "birthday", "movie-night", "study", "game-night", "book-club", "dinner"} {
		if !seen[must] {
			t.Errorf("theme %q is missing", must)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"aperitivo", "aperitivo", true},
		{"  Aperitivo ", "aperitivo", true},
		{"movie-night", "movie-night", true},
		{"disco", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.in)
		if ok != tt.wantOK || got.Name != tt.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.in, got.Name, ok, tt.want, tt.wantOK)
		}
	}
}

func TestAllListsTheDefaultFirstAndDoesNotShareItsSlice(t *testing.T) {
	a := All()
	if a[0].Name != Default {
		t.Fatalf("first theme is %q, want the default %q", a[0].Name, Default)
	}
	a[0].Name = "changed"
	if All()[0].Name != Default {
		t.Fatal("changing the result of All changed the built-in themes")
	}
}
