package sfu

import (
	"time"
)

// A subscriber whose receiver reports show it losing packets gets a
// smaller simulcast layer for a while: the SFU keeps no bandwidth estimate
// of its own towards subscribers, and loss is what too much for the link
// looks like from here. After capFor it may climb again, one step at a time
// since each loss caps it one layer below what it had.
const (
	// lossCap is the fraction lost (of 256, as RTCP reports it) past which
	// a subscriber's layer is capped: about 10 %.
	lossCap = 26
	capFor  = 10 * time.Second
)

// onLoss takes a receiver report's fraction lost for the subscriber whose
// sender has ssrc; a simulcast subscriber losing too much is capped below
// the layer it gets.
func (f *forwarder) onLoss(ssrc uint32, fractionLost uint8) {
	if !f.simulcast || fractionLost <= lossCap {
		return
	}
	b := f.local.bindingFor(ssrc)
	if b == nil {
		return
	}
	now := time.Now().UnixNano()
	b.mu.Lock()
	capped := false
	if b.cur >= 0 {
		if l := f.layers[b.cur].Load(); l != nil {
			// Below the layer it gets: strictly smaller than its area. A
			// report about a layer it is already capped below (packets
			// still on their way) changes nothing.
			area := int64(l.w.Load()) * int64(l.h.Load())
			if cur := b.capArea(now); area > 0 && (cur == 0 || area-1 < cur) {
				b.maxArea, b.capUntil, capped = area-1, now+int64(capFor), true
			}
		}
	}
	b.mu.Unlock()
	if capped {
		f.pub.router.sfu.capped.Add(1)
		f.reselect()
	}
}

// capArea is the picture area the binding is capped to now; 0: none.
// Under b.mu.
func (b *binding) capArea(now int64) int64 {
	if now >= b.capUntil {
		return 0
	}
	return b.maxArea
}
