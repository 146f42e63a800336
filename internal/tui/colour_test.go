package tui

import (
	"testing"

	"github.com/rooms-dev/rooms/internal/colorenv"
	"github.com/rooms-dev/rooms/internal/termimg"
)

// The call screen follows colorenv's rule, the CLI's: an empty NO_COLOR
// is unset, a non-empty one draws characters, --color never too.
func TestProfileFollowsTheColourRule(t *testing.T) {
	tests := []struct {
		name string
		mode colorenv.Mode
		env  map[string]string
		want termimg.Profile
	}{
		{"plain", colorenv.Auto, map[string]string{"TERM": "xterm-256color"}, termimg.ANSI256},
		{"NO_COLOR empty", colorenv.Auto, map[string]string{"NO_COLOR": "", "COLORTERM": "truecolor"}, termimg.TrueColor},
		{"NO_COLOR=1", colorenv.Auto, map[string]string{"NO_COLOR": "1", "COLORTERM": "truecolor"}, termimg.ASCII},
		{"TERM=dumb", colorenv.Auto, map[string]string{"TERM": "dumb"}, termimg.ASCII},
		{"--color never", colorenv.Never, map[string]string{"COLORTERM": "truecolor"}, termimg.ASCII},
		{"--color always beats NO_COLOR", colorenv.Always, map[string]string{"NO_COLOR": "1", "COLORTERM": "truecolor"}, termimg.TrueColor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ProfileFor(tt.mode, func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("ProfileFor = %v, want %v", got, tt.want)
			}
		})
	}
}
