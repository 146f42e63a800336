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

// TestRemotePauseIsNoFreeze: the wait across a pause the server
// announced (a bandwidth event) is not a freeze: the frame after the
// track's return starts afresh. A wait while it is shown still counts.
func TestRemotePauseIsNoFreeze(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var r remote
	r.frame(freezeVideo, t0)
	r.frame(freezeVideo, t0.Add(70*time.Millisecond))
	r.setPaused(true)
	r.setPaused(true) // told again: still paused
	r.setPaused(false)
	if got := r.frame(freezeVideo, t0.Add(5*time.Second)); got != 0 {
		t.Errorf("the first frame after a pause waited %s, want 0 (afresh)", got)
	}
	r.setPaused(false) // not paused: the next wait counts
	if got := r.frame(freezeVideo, t0.Add(6*time.Second)); got != time.Second {
		t.Errorf("a wait while shown: %s, want 1s", got)
	}
	if n := r.freezes.Load(); n != 1 {
		t.Errorf("%d freezes, want 1 (the wait while shown only)", n)
	}
}
