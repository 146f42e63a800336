package cli

import (
	"sync"
	"time"
)

// mediaGapMin is the shortest pause in a remote track's decoded frames
// that headless join reports, as a media_gap event when frames come back:
// longer than a frame interval and a keyframe's wait on a healthy link, so
// it marks a cut, a freeze or a reconnect.
const mediaGapMin = time.Second

// gapWatch notes a track's decoded frames, to tell when they resume after
// a pause. One per remote track; its decoder's goroutine calls frame.
type gapWatch struct {
	mu   sync.Mutex
	last time.Time
}

// frame notes a frame decoded at now and returns the pause before it when
// that was at least mediaGapMin, else 0.
func (g *gapWatch) frame(now time.Time) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	last := g.last
	g.last = now
	if last.IsZero() {
		return 0
	}
	if gap := now.Sub(last); gap >= mediaGapMin {
		return gap
	}
	return 0
}

// gapped reports a pause in r's frames (media_gap) once frames resume.
func (h *headless) gapped(r *remote, now time.Time) {
	gap := r.gaps.frame(now)
	if gap == 0 {
		return
	}
	h.out("media_gap", map[string]any{"from": r.info.ParticipantID, "name": h.name(r.info.ParticipantID), "kind": string(r.info.Kind),
		"gap_ms": gap.Milliseconds(), "frames": r.frames.Load()})
}
