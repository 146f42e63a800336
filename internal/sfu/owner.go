package sfu

import (
	"time"

	"github.com/pion/rtcp"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Each published video track has one goroutine, its owner (own), that
// holds its layerPolicy (policy.go) and alone changes its control state:
// the layer each binding wants, the layers suspended, the keyframes asked
// for. Others tell it by events on a small bounded mailbox (inbox);
// the packet path, which must not wait, only kicks it (a channel of one,
// never blocking) when a layer starts or shows its first keyframe, and
// the owner reads what changed from the layers' atomics. The packet path
// reads the owner's decisions from the bindings (want, under each
// binding's lock) and the layers (suspended). Audio tracks have none:
// nothing about them is chosen per subscriber.

// inboxSize bounds the events waiting for a track's owner; a sender
// waits when it is full (the owner never waits on a sender).
const inboxSize = 64

// policyEventKind says what happened.
type policyEventKind uint8

const (
	// evSubscribed: peer now subscribes to the track; its view is read.
	evSubscribed policyEventKind = iota
	// evView: peer's view changed; it is read again, so the last event
	// handled always applies the newest view.
	evView
	// evForget: the subscriber sent with ssrc unsubscribed.
	evForget
	// evPLI: the subscriber sent with ssrc asks for a keyframe.
	evPLI
	// evBudget: the allocation of the subscriber sent with ssrc
	// (bandwidth.go) caps its picture to area (0: no cap) or pauses it.
	evBudget
	// evConnected: a subscriber's connection came up: every binding
	// needs a keyframe to start.
	evConnected
)

// policyEvent is one message to a track's owner.
type policyEvent struct {
	kind   policyEventKind
	peer   *Peer
	ssrc   uint32
	area   int64
	paused bool
}

// post gives the track's owner an event, waiting while its inbox is full;
// after the track stopped, or for an audio track, it does nothing.
func (f *forwarder) post(ev policyEvent) {
	if f.inbox == nil {
		return
	}
	select {
	case f.inbox <- ev:
	case <-f.done:
	}
}

// tryPost is post for a caller that must not wait (rtcpin.go): an event
// the inbox has no room for is dropped.
func (f *forwarder) tryPost(ev policyEvent) {
	if f.inbox == nil {
		return
	}
	select {
	case f.inbox <- ev:
	default:
	}
}

// kickOwner wakes the owner to look at the layers again; it never
// waits (the packet path calls it).
func (f *forwarder) kickOwner() {
	select {
	case f.kick <- struct{}{}:
	default: // already kicked
	}
}

// own runs the track's policy until done is closed (the track stopped).
// A simulcast track is also looked at every layerStale/3, as layers stop
// and start (a browser drops its top layer when it cannot keep up).
func (f *forwarder) own(done <-chan struct{}) {
	var tick <-chan time.Time
	if f.simulcast {
		t := time.NewTicker(layerStale / 3)
		defer t.Stop()
		tick = t.C
	}
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-done:
			return
		case ev := <-f.inbox:
			f.handle(ev, time.Now().UnixNano())
		case <-f.kick:
			f.reselect(time.Now().UnixNano())
		case <-tick:
			f.reselect(time.Now().UnixNano())
		case <-retry.C:
		}
		now := time.Now().UnixNano()
		f.sawLayers(now)
		send, next := f.policy.keyframes(now)
		for i := range int8(maxLayers) {
			if send&(1<<i) != 0 {
				f.sendPLI(i)
			}
		}
		if next > 0 {
			retry.Reset(time.Duration(next - now))
		}
	}
}

// handle applies one event.
func (f *forwarder) handle(ev policyEvent, now int64) {
	f.sawLayers(now)
	switch ev.kind {
	case evSubscribed, evView:
		ssrc, ok := f.ssrcFor(ev.peer)
		if !ok {
			return
		}
		hidden, size := ev.peer.viewOf(f.info.ID)
		if ev.kind == evSubscribed {
			f.policy.subscribe(ssrc, size, hidden, now)
		} else {
			b, _ := f.local.stateOf(ssrc)
			f.policy.view(ssrc, size, hidden, b)
		}
		f.local.setPaused(ssrc, f.policy.pausedFor(ssrc, hidden))
		f.reselect(now)
	case evForget:
		f.policy.forget(ev.ssrc)
	case evPLI:
		b, _ := f.local.stateOf(ev.ssrc)
		f.policy.keyframeFor(b)
	case evBudget:
		b, _ := f.local.stateOf(ev.ssrc)
		if paused, changed := f.policy.budget(ev.ssrc, ev.area, ev.paused, b); changed {
			f.local.setPaused(ev.ssrc, paused)
			f.reselect(now)
		}
	case evConnected:
		f.binds, _ = f.local.states(f.binds[:0])
		f.policy.connected(f.binds)
	}
}

// sawLayers gives the policy what the layers' readers have seen.
func (f *forwarder) sawLayers(now int64) {
	for i := range f.layers {
		if l := f.layers[i].Load(); l != nil {
			f.policy.sawLayer(int8(i), l.rid, l.w.Load(), l.h.Load(), l.lastAt.Load())
		}
	}
}

// reselect has the policy choose every binding's layer now, writes its
// choices into the bindings, and applies and announces a change of the
// layers suspended.
func (f *forwarder) reselect(now int64) {
	if !f.simulcast {
		return
	}
	f.sawLayers(now)
	states, binds := f.local.states(f.binds[:0])
	f.binds = states
	f.wants = f.wants[:0]
	for _, st := range states {
		f.wants = append(f.wants, st.want)
	}
	changed := f.policy.reselect(states, now)
	for i, b := range binds {
		if states[i].want != f.wants[i] {
			b.mu.Lock()
			b.want = states[i].want
			b.mu.Unlock()
		}
	}
	if changed {
		f.applySuspended()
	}
}

// applySuspended marks the layers the policy suspended for the packet
// path (a suspended layer's history lets its packets go: nobody will ask
// for them) and tells the publisher the layers somebody receives.
func (f *forwarder) applySuspended() {
	set := f.policy.suspended()
	var track string
	for i := range f.layers {
		l := f.layers[i].Load()
		if l == nil {
			continue
		}
		track = l.remote.ID()
		on := set&(1<<i) != 0
		if on && !l.suspended.Load() && l.hist != nil {
			l.hist.reset()
		}
		l.suspended.Store(on)
	}
	select {
	case <-f.done:
		return
	default:
	}
	if active := f.policy.active(f.offeredRIDs()); len(active) > 0 {
		f.pub.sig.SendLayers(api.Layers{Track: track, Active: active})
	}
}

// sendPLI asks the publisher for a keyframe of layer li.
func (f *forwarder) sendPLI(li int8) {
	l := f.layers[li].Load()
	if l == nil {
		return
	}
	_ = f.pub.pub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(l.remote.SSRC())}})
}
