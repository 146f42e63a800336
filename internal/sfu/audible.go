package sfu

import (
	"slices"
	"time"
)

// Only the loudest few voices reach the others: in a 50-person room every
// subscriber would otherwise receive 49 Opus streams of 50 packets a
// second, most of them silence (audio, not video, is most of the packets).
// Every selectEvery the router ranks the audio tracks that carry audio
// levels by how loud they have been lately and lets the loudest
// (DefaultForwardVoices, roomsd --forward-voices) through, plus up to
// extraSpeakers more that are
// speaking right now (someone starting to talk is heard at once). Tracks
// without levels are always forwarded: nothing tells whether they are
// silent.
const (
	// DefaultForwardVoices is how many of the loudest voices each
	// listener receives by default.
	DefaultForwardVoices = 3
	extraSpeakers        = 2
	selectEvery          = 200 * time.Millisecond
	// stayBonus keeps a voice that is heard in the selection against one
	// only a little louder, so the selection does not flap.
	stayBonus = 8 * loudnessScale
	// loudnessScale: loudness is kept in 1/16 dB steps.
	loudnessScale = 16
)

// audioCandidate is one audio track as the selection sees it.
type audioCandidate struct {
	loudness int32 // recent loudness, 127 - level in loudnessScale steps
	speaking bool
	audible  bool // heard now
}

// selectAudible says which candidates are heard next: the loudest n,
// and up to extraSpeakers more who are speaking; n 0 means all.
func selectAudible(cs []audioCandidate, n int) []bool {
	out := make([]bool, len(cs))
	if n == 0 || len(cs) <= n {
		for i := range out {
			out[i] = true
		}
		return out
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	score := func(c audioCandidate) int32 {
		if c.audible {
			return c.loudness + stayBonus
		}
		return c.loudness
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(score(cs[b]) - score(cs[a])) })
	extra := 0
	for rank, i := range order {
		switch {
		case rank < n:
			out[i] = true
		case cs[i].speaking && extra < extraSpeakers:
			out[i] = true
			extra++
		}
	}
	return out
}

// selectAudio runs the selection until the router closes.
func (r *Router) selectAudio() {
	tick := time.NewTicker(selectEvery)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		}
		var fs []*forwarder
		for _, f := range r.allForwarders() {
			if f.levelID != 0 {
				fs = append(fs, f)
			}
		}
		cs := make([]audioCandidate, len(fs))
		for i, f := range fs {
			cs[i] = audioCandidate{loudness: f.loudness.Load(), speaking: f.speakingNow.Load(), audible: f.audible.Load()}
		}
		for i, on := range selectAudible(cs, r.sfu.voices) {
			fs[i].audible.Store(on)
		}
	}
}
