package cli

import "time"

// mediaGapMin is the shortest pause in a remote track's decoded frames
// that headless join reports, as a media_gap event when frames come back:
// longer than a frame interval and a keyframe's wait on a healthy link, so
// it marks a cut, a freeze or a reconnect.
const mediaGapMin = time.Second

// gapped reports a pause of mediaGapMin or more in r's frames (media_gap),
// given the wait before the frame that just came (remote.frame's).
func (h *headless) gapped(r *remote, gap time.Duration) {
	if gap < mediaGapMin {
		return
	}
	h.out("media_gap", map[string]any{"from": r.info.ParticipantID, "name": h.name(r.info.ParticipantID), "kind": string(r.info.Kind),
		"gap_ms": gap.Milliseconds(), "frames": r.frames.Load()})
}
