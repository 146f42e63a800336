package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// retainFlag is --retain: a number of days ("30d"), a Go duration
// ("36h"), or 0 to keep everything forever.
type retainFlag struct{ d *time.Duration }

const day = 24 * time.Hour

func (f retainFlag) String() string {
	if f.d == nil {
		return ""
	}
	switch d := *f.d; {
	case d == 0:
		return "0"
	case d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	default:
		return d.String()
	}
}

func (f retainFlag) Set(s string) error {
	d, err := parseRetain(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (retainFlag) Type() string { return "duration" }

// parseRetain reads a retention: "30d", "36h", "90m" or "0".
func parseRetain(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseInt(n, 10, 64)
		if err != nil || days < 0 || days > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days like 30d", s)
		}
		return time.Duration(days) * day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a retention: give days (30d), a duration (36h) or 0 to keep forever", s)
	}
	return d, nil
}
