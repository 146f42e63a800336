package cli

import (
	"strings"
	"testing"
	"time"
)

// Colour off a terminal only when forced, by --color always or
// CLICOLOR_FORCE; --color never wins over the variable; a bad mode is a
// usage error.
func TestColourFlagAndForce(t *testing.T) {
	tests := []struct {
		name  string
		tty   bool
		args  []string
		env   map[string]string
		color bool
	}{
		{"pipe", false, nil, nil, false},
		{"terminal", true, nil, nil, true},
		{"terminal, NO_COLOR empty is unset", true, nil, map[string]string{"NO_COLOR": ""}, true},
		{"terminal, NO_COLOR=1", true, nil, map[string]string{"NO_COLOR": "1"}, false},
		{"--color always", false, []string{"--color", "always"}, nil, true},
		{"CLICOLOR_FORCE=1", false, nil, map[string]string{"CLICOLOR_FORCE": "1"}, true},
		{"CLICOLOR_FORCE beats NO_COLOR", false, nil, map[string]string{"CLICOLOR_FORCE": "1", "NO_COLOR": "1"}, true},
		{"--color never beats CLICOLOR_FORCE", true, []string{"--color=never"}, map[string]string{"CLICOLOR_FORCE": "1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, time.Now())
			h.env, h.tty = tt.env, tt.tty
			out, errOut, code := h.run(append([]string{"themes"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := strings.Contains(out, "\x1b["); got != tt.color {
				t.Errorf("colour %v, want %v:\n%q", got, tt.color, out[:min(len(out), 200)])
			}
		})
	}
	h := newHarness(t, time.Now())
	_, errOut, code := h.run("themes", "--color", "sometimes")
	if code != ExitUsage || !strings.Contains(errOut, "auto, always or never") {
		t.Errorf("--color sometimes: exit %d, %q", code, errOut)
	}
}
