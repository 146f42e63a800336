package media

import (
	"github.com/pion/mediadevices/pkg/codec"
)

// Bitrate control from the client's estimate of its uplink
// (pkg/client/uplink.go): each VP8 encoding has the bitrate it was opened
// with as its most, and SetBitrates lowers (or restores) what its encoder
// aims at, or stops sending it altogether (0) when it does not fit.

// bitrateState is one encoding's share of the uplink: its most, what it
// was last given (0: stopped), and its encoder while bound. Guarded by
// the localTrack's mu.
type bitrateState struct {
	max  int
	want int // 0 until SetBitrates says: max
	enc  codec.EncoderController
}

// controllerOf is what a mediadevices track exposes of its newest binding's encoder.
type controllerOf interface {
	EncoderController() codec.EncoderController
}

// boundEncoder is called by Bind, under t.mu, once mediadevices bound the
// encoder: the bitrate last asked for applies to the new encoder.
func (t *localTrack) boundEncoder() {
	md, ok := t.md.(controllerOf)
	if !ok {
		return
	}
	t.rate.enc = md.EncoderController()
	if t.rate.want > 0 {
		setBitRate(t.rate.enc, t.rate.want)
	}
}

func setBitRate(enc codec.EncoderController, bps int) {
	if c, ok := enc.(codec.BitRateController); ok {
		_ = c.SetBitRate(bps) // vpx's never fails: it applies at the next frame
	}
}

// Bitrates: a video encoding's most; none for audio, which is not adapted.
func (t *localTrack) Bitrates() []int {
	if t.rate.max == 0 {
		return nil
	}
	return []int{t.rate.max}
}

// SetBitrates gives this encoding rates[t.rid] ("" for a track sent
// alone), at most what it was opened with; 0 stops sending its packets
// (the encoder goes on, so the binding stays healthy) until a rate comes
// back, with a keyframe then.
func (t *localTrack) SetBitrates(rates map[string]int) {
	if t.rate.max == 0 {
		return
	}
	bps, ok := rates[t.rid]
	if !ok {
		return
	}
	bps = min(bps, t.rate.max)
	t.mu.Lock()
	defer t.mu.Unlock()
	wasOff := t.drop.Load()
	t.drop.Store(bps <= 0)
	if bps <= 0 {
		return
	}
	t.rate.want = bps
	if t.rate.enc == nil {
		return
	}
	setBitRate(t.rate.enc, bps)
	if wasOff {
		// Its receivers switch to it only at a keyframe.
		if k, ok := t.rate.enc.(codec.KeyFrameController); ok {
			_ = k.ForceKeyFrame()
		}
	}
}

// Bitrates: each layer's most, smallest first as they are offered.
func (t *simulcastTrack) Bitrates() []int {
	out := make([]int, len(t.layers))
	for i, l := range t.layers {
		out[i] = l.rate.max
	}
	return out
}

// SetBitrates gives each layer its rate by RID; a layer given 0 sends
// nothing and its source passes a frame on only every suspendedEvery, as
// for a layer nobody receives.
func (t *simulcastTrack) SetBitrates(rates map[string]int) {
	for i, l := range t.layers {
		if bps, ok := rates[l.rid]; ok {
			l.SetBitrates(rates)
			t.sources[i].starved.Store(bps <= 0)
		}
	}
}
