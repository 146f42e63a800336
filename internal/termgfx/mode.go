// Package termgfx draws video at the terminal's real resolution where the
// terminal can: it finds out what the terminal supports (the kitty graphics
// protocol, sixel, the size of a cell in pixels), encodes frames for it, and
// paints them over the call screen's tiles beside Bubble Tea's renderer.
// Half blocks (internal/termimg) stay the default wherever nothing better is
// certain.
package termgfx

import (
	"fmt"
	"image"
	"strings"
)

// Mode is how video reaches the terminal.
type Mode int

const (
	// Blocks draws video as coloured half blocks: text, every terminal.
	Blocks Mode = iota
	// Kitty sends frames as images with the kitty graphics protocol.
	Kitty
	// Sixel sends frames as sixel images.
	Sixel
)

func (m Mode) String() string {
	switch m {
	case Kitty:
		return "kitty"
	case Sixel:
		return "sixel"
	}
	return "blocks"
}

// Choice is what the person asked for: auto, or a mode.
type Choice struct {
	Auto bool
	Mode Mode
}

// EnvVar overrides --graphics when the flag is not given.
const EnvVar = "ROOMS_GRAPHICS"

// ParseChoice reads --graphics or $ROOMS_GRAPHICS: auto, kitty, sixel or
// blocks ("" is auto).
func ParseChoice(s string) (Choice, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Choice{Auto: true}, nil
	case "kitty":
		return Choice{Mode: Kitty}, nil
	case "sixel":
		return Choice{Mode: Sixel}, nil
	case "blocks", "halfblocks", "half-blocks":
		return Choice{Mode: Blocks}, nil
	}
	return Choice{}, fmt.Errorf("unknown graphics mode %q: use auto, kitty, sixel or blocks", s)
}

// Caps is what the terminal can show.
type Caps struct {
	Mode Mode
	// Cell is the size of one cell in pixels (zero when unknown: graphics
	// modes then assume 10×20).
	Cell image.Point
	// Colors is how many sixel colour registers the terminal has (0:
	// it did not say).
	Colors int
	// MaxSixel is the largest sixel picture shown, in pixels (zero: not
	// said, no limit assumed).
	MaxSixel image.Point
	// SharedMemory says kitty reads pictures from shared memory (it runs
	// on this machine): only their names go through the terminal.
	SharedMemory bool
	// Why says how the mode was chosen, for --help-like messages and logs.
	Why string
}

// DefaultCell is the cell size assumed when the terminal does not say.
var DefaultCell = image.Pt(10, 20)

// CellOrDefault is the cell size in pixels, or DefaultCell.
func (c Caps) CellOrDefault() image.Point {
	if c.Cell.X > 0 && c.Cell.Y > 0 {
		return c.Cell
	}
	return DefaultCell
}
