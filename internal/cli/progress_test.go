package cli

import (
	"strings"
	"testing"
)

func TestProgressEscapesOnlyOnATerminal(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{"terminal", true, "\r\x1b[Kjoined 1/2\r\x1b[Kjoined 2/2\n"},
		{"pipe", false, "joined 1/2\njoined 2/2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			p := &progress{w: &b, tty: tt.tty}
			p.update("joined 1/2")
			p.update("joined 2/2")
			p.done()
			if b.String() != tt.want {
				t.Errorf("wrote %q, want %q", b.String(), tt.want)
			}
		})
	}
}
