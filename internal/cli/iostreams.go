package cli

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/rooms-dev/rooms/internal/colorenv"
)

// IOStreams is where a command reads and writes, and what it knows about
// the terminal: colour and prompts only happen on a real one.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY, ErrTTY and InTTY say whether stdout, stderr and stdin are
	// terminals.
	OutTTY bool
	ErrTTY bool
	InTTY  bool
	// Color is true when human output may use colour: colorenv's rule,
	// set again once --color is read.
	Color bool
}

// System returns the process's streams, detecting terminals and honouring
// the colour variables (colorenv).
func System() *IOStreams {
	outTTY := term.IsTerminal(int(os.Stdout.Fd()))
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: outTTY,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		InTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		Color:  colorenv.Enabled(colorenv.Auto, outTTY, os.Getenv),
	}
}

// Paint colours s with a "#rrggbb" foreground when colour is on.
func (io *IOStreams) Paint(hex, s string) string {
	if !io.Color {
		return s
	}
	r, g, b, ok := parseHex(hex)
	if !ok {
		return s
	}
	return fmt.Sprintf("\x1b[38;2;%d;%d;%dm%s\x1b[0m", r, g, b, s)
}

// Swatch is a block of background colour, for showing a palette.
func (io *IOStreams) Swatch(hex string) string {
	r, g, b, ok := parseHex(hex)
	if !io.Color || !ok {
		return hex
	}
	return fmt.Sprintf("\x1b[48;2;%d;%d;%dm  \x1b[0m %s", r, g, b, hex)
}

// Bold makes s bold when colour is on.
func (io *IOStreams) Bold(s string) string {
	if !io.Color {
		return s
	}
	return "\x1b[1m" + s + "\x1b[0m"
}

// Dim makes s faint when colour is on.
func (io *IOStreams) Dim(s string) string {
	if !io.Color {
		return s
	}
	return "\x1b[2m" + s + "\x1b[0m"
}

func parseHex(hex string) (r, g, b uint8, ok bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, 0, 0, false
	}
	var v [3]uint8
	if _, err := fmt.Sscanf(hex[1:], "%02x%02x%02x", &v[0], &v[1], &v[2]); err != nil {
		return 0, 0, 0, false
	}
	return v[0], v[1], v[2], true
}
