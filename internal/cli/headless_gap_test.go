package cli

import (
	"testing"
	"time"
)

// TestGapWatch: only a pause of mediaGapMin or more between frames is a
// gap, reported once, when the frame after it comes.
func TestGapWatch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g gapWatch
	for _, c := range []struct {
		at   time.Duration
		want time.Duration
	}{
		{0, 0}, // the first frame
		{20 * time.Millisecond, 0},
		{999 * time.Millisecond, 0},
		{2999 * time.Millisecond, 2 * time.Second},
		{3019 * time.Millisecond, 0},
		{4019 * time.Millisecond, time.Second},
	} {
		if got := g.frame(t0.Add(c.at)); got != c.want {
			t.Errorf("frame at %s: gap %s, want %s", c.at, got, c.want)
		}
	}
}
