package signal

import (
	"strings"
	"testing"

	wire "github.com/rooms-dev/rooms/pkg/api"
)

// TestJoinNames checks the display names a join may carry (trimmed, as
// checkJoin passes them): what everyone in the call will see must be safe
// to show on a terminal as it is.
func TestJoinNames(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // a part of the refusal, "" when taken
	}{
		{"a plain name", "Ann Lee", ""},
		{"letters of any script", "José 张三", ""},
		{"an emoji sequence", "👩\u200D💻 Ann", ""},
		{"empty", "", "a name is needed"},
		{"OSC 52 (a clipboard write)", "\x1b]52;c;ZXZpbA==\x07Bo", "U+001B (a control character)"},
		{"the 8-bit CSI", "Bo\u009b2J", "U+009B (a C1 control character)"},
		{"a right-to-left override", "Bo\u202Egnp.exe", "U+202E (a bidirectional control)"},
		{"a line break inside", "Bo\nAnn: hi", "U+000A (a line break)"},
		{"a zero-width space", "B\u200Bo", "U+200B (an invisible format character)"},
		{"a joiner between letters", "B\u200Do", "U+200D"},
		{"invalid UTF-8", "Bo\xff", "invalid UTF-8"},
		{"too long", strings.Repeat("a", wire.MaxNameRunes+1), "at most 64 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkName(tt.in)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused %q: %v", tt.in, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("checkName(%q) = %v, want an error with %q", tt.in, err, tt.want)
			}
		})
	}
}
