package cli

import (
	"testing"
	"time"
)

// TestRemoteFrameGaps: a remote track's frames give the wait before each
// (0 for the first), count freezes past the freeze threshold and keep the
// longest wait; only a wait of mediaGapMin or more is a media gap.
func TestRemoteFrameGaps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var r remote
	for _, c := range []struct {
		at   time.Duration
		want time.Duration
		gap  bool
	}{
		{0, 0, false}, // the first frame
		{20 * time.Millisecond, 20 * time.Millisecond, false},
		{999 * time.Millisecond, 979 * time.Millisecond, false},
		{2999 * time.Millisecond, 2 * time.Second, true},
		{3019 * time.Millisecond, 20 * time.Millisecond, false},
		{4019 * time.Millisecond, time.Second, true},
	} {
		got := r.frame(freezeVideo, t0.Add(c.at))
		if got != c.want || (got >= mediaGapMin) != c.gap {
			t.Errorf("frame at %s: wait %s (a gap: %v), want %s (%v)", c.at, got, got >= mediaGapMin, c.want, c.gap)
		}
	}
	if n := r.frames.Load(); n != 6 {
		t.Errorf("%d frames counted, want 6", n)
	}
	if n := r.freezes.Load(); n != 3 {
		t.Errorf("%d freezes (waits of %s or more), want 3", n, freezeVideo)
	}
	if g := time.Duration(r.maxGap.Load()); g != 2*time.Second {
		t.Errorf("longest wait %s, want 2s", g)
	}
}
