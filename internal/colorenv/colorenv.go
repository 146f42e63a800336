// Package colorenv is the one rule for whether rooms colours what it
// prints, shared by the CLI and the call screen.
//
// In order: --color always or never decides; else CLICOLOR_FORCE set to
// anything but "" or "0" turns colour on (as gh and bixense.com/clicolors
// do, for pagers and CI logs that show colour); else NO_COLOR set to a
// non-empty value turns it off (no-color.org: an empty NO_COLOR is as if
// unset); else TERM=dumb turns it off; else colour follows whether the
// output is a terminal.
package colorenv

import "fmt"

// Mode is the --color flag.
type Mode string

// The --color values.
const (
	Auto   Mode = "auto"
	Always Mode = "always"
	Never  Mode = "never"
)

// Modes lists the --color values, for help and completion.
var Modes = []string{string(Auto), string(Always), string(Never)}

// ParseMode reads a --color value; "" is Auto.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", Auto:
		return Auto, nil
	case Always, Never:
		return Mode(s), nil
	}
	return "", fmt.Errorf("%q is not a colour mode: use auto, always or never", s)
}

// Forced says whether the environment asks for colour even off a terminal.
func Forced(getenv func(string) string) bool {
	v := getenv("CLICOLOR_FORCE")
	return v != "" && v != "0"
}

// Disabled says whether the environment asks for no colour.
func Disabled(getenv func(string) string) bool {
	return getenv("NO_COLOR") != "" || getenv("TERM") == "dumb"
}

// Enabled says whether output may be coloured, for a stream that is or is
// not a terminal.
func Enabled(mode Mode, isTTY bool, getenv func(string) string) bool {
	switch mode {
	case Always:
		return true
	case Never:
		return false
	}
	if Forced(getenv) {
		return true
	}
	if Disabled(getenv) {
		return false
	}
	return isTTY
}
