package sfu

import "time"

// layerPolicy decides, for one published video track, which simulcast
// layer each subscriber's binding wants, which layers the publisher is
// told nobody receives (suspended), and which keyframes are asked for.
// It is plain code: no I/O, no pion, no clock (times come in as unix
// ns), no lock. Its one owner is the track's policy goroutine
// (forwarder.own, owner.go), the only caller of its methods: events in
// (a layer seen, a view, a bandwidth grant, a subscriber's PLI), decisions
// out (wants written back into bindState, the suspended set, the
// keyframes to ask for now). The packet path never calls it: it reads
// the decisions the owner writes into the bindings and layers.
type layerPolicy struct {
	simulcast bool
	layers    [maxLayers]policyLayer
	// subs is each subscriber's view and grant, by the SSRC its binding
	// sends with; an entry lives from subscribe to forget.
	subs map[uint32]*policySub
	// asked are the layers whose keyframe is asked for and not sent yet
	// (the interval since the last request has not passed).
	asked uint8
}

// policyLayer is what the policy knows of one layer.
type policyLayer struct {
	present bool
	rid     string
	// w and h are the size of its last keyframe (0 until one is seen).
	w, h int32
	// lastAt (unix ns) is its newest packet, or when it was resumed if
	// later: a resumed layer's packets have a while to start again.
	lastAt int64
	// suspended: the publisher was told nobody receives it.
	// liveWhenSuspended: packets still came then, so it counts as ready
	// at its size (the publisher only obeyed the server).
	suspended, liveWhenSuspended bool
	// unneededSince (unix ns) is when the last subscriber stopped
	// getting or wanting it; 0 while needed.
	unneededSince int64
	// lastKeyReq (unix ns) is the last keyframe request sent for it.
	lastKeyReq int64
}

// policySub is one subscriber as the policy sees it.
type policySub struct {
	size tileSize
	// paused: its view hides the track.
	paused bool
	// bwArea caps the picture area of the layer it gets (0: no cap), and
	// bwPaused pauses it: its bandwidth allocation (bandwidth.go).
	bwArea   int64
	bwPaused bool
}

// bindState is one binding as the packet path has it (read by the owner
// under the binding's lock): the layer it gets (cur, -1 none yet), the
// one it waits for (want, -1 none) and whether it is paused. reselect
// writes the new want into it; the owner writes that back.
type bindState struct {
	ssrc      uint32
	cur, want int8
	paused    bool
}

func newLayerPolicy(simulcast bool) *layerPolicy {
	return &layerPolicy{simulcast: simulcast, subs: map[uint32]*policySub{}}
}

// sawLayer takes what the reader of layer i has seen: its RID, the size
// of its last keyframe (0 0: none yet) and its newest packet's arrival.
func (p *layerPolicy) sawLayer(i int8, rid string, w, h int32, lastAt int64) {
	l := &p.layers[i]
	l.present, l.rid, l.w, l.h = true, rid, w, h
	l.lastAt = max(l.lastAt, lastAt)
}

// ready says whether subscribers can be sent this layer now: a keyframe
// was seen and packets are flowing (or it is suspended and was flowing).
func (l *policyLayer) ready(now int64) bool {
	return l.present && l.w > 0 &&
		((l.suspended && l.liveWhenSuspended) || now-l.lastAt < int64(layerStale))
}

// choose picks, among the layers ready now, the smallest whose picture
// fills the tile (within a tenth), or else the largest; no size: the
// largest. maxArea > 0 caps the picture's area (the subscriber's
// bandwidth grant); if no ready layer is that small, the smallest. -1
// when none is ready.
func (p *layerPolicy) choose(size tileSize, now, maxArea int64) int8 {
	best, bestArea := int8(-1), int64(0)
	fit, fitArea := int8(-1), int64(0)
	least, leastArea := int8(-1), int64(0)
	for i := range p.layers {
		l := &p.layers[i]
		if !l.ready(now) {
			continue
		}
		area := int64(l.w) * int64(l.h)
		if least < 0 || area < leastArea {
			least, leastArea = int8(i), area
		}
		if maxArea > 0 && area > maxArea {
			continue
		}
		if best < 0 || area > bestArea {
			best, bestArea = int8(i), area
		}
		if size.w > 0 && size.h > 0 && l.w*10 >= size.w*9 && l.h*10 >= size.h*9 && (fit < 0 || area < fitArea) {
			fit, fitArea = int8(i), area
		}
	}
	if fit >= 0 {
		return fit
	}
	if best < 0 {
		return least
	}
	return best
}

// subscribe takes a new subscriber, sent with ssrc, with its view; a
// keyframe of the layer it will get is asked for so its picture starts
// at once (of every layer if none is ready yet).
func (p *layerPolicy) subscribe(ssrc uint32, size tileSize, paused bool, now int64) {
	p.subs[ssrc] = &policySub{size: size, paused: paused}
	if !p.simulcast {
		p.ask(0)
		return
	}
	if li := p.choose(size, now, 0); li >= 0 {
		p.ask(li)
	} else {
		p.askAll()
	}
}

// view takes a subscriber's view again: how large it shows the track and
// whether it hides it. One shown again needs a keyframe at once; b is
// its binding, nil if it has none yet. The caller reselects after.
func (p *layerPolicy) view(ssrc uint32, size tileSize, paused bool, b *bindState) {
	s := p.subs[ssrc]
	if s == nil {
		return // not subscribed (any more)
	}
	shown := s.paused && !paused
	s.size, s.paused = size, paused
	if shown {
		p.keyframeFor(b)
	}
}

// forget drops a subscriber that unsubscribed.
func (p *layerPolicy) forget(ssrc uint32) { delete(p.subs, ssrc) }

// keyframeFor asks for a keyframe of the layer a subscriber gets, or
// waits for (its PLI, or its track shown again); of every layer if it
// has neither. b nil: no binding yet, layer 0.
func (p *layerPolicy) keyframeFor(b *bindState) {
	li := int8(0)
	if b != nil {
		li = b.cur
		if b.want >= 0 {
			li = b.want
		}
	}
	if li < 0 {
		p.askAll()
		return
	}
	p.ask(li)
}

// connected asks for a keyframe of every layer a binding waits for or
// gets (a subscriber's connection just came up).
func (p *layerPolicy) connected(binds []bindState) {
	if !p.simulcast {
		p.ask(0)
		return
	}
	for _, b := range binds {
		if b.want >= 0 {
			p.ask(b.want)
		} else if b.cur >= 0 {
			p.ask(b.cur)
		}
	}
}

// budget takes the subscriber's bandwidth grant: a cap on its picture's
// area (0: none) or a pause. It says whether the binding is paused now
// (by its view or its grant) and whether anything changed (the caller
// applies the pause and reselects). One resumed needs a keyframe: b is its
// binding, nil if it has none yet.
func (p *layerPolicy) budget(ssrc uint32, area int64, paused bool, b *bindState) (bool, bool) {
	s := p.subs[ssrc]
	if s == nil {
		return false, false
	}
	if s.bwArea == area && s.bwPaused == paused {
		return s.paused || s.bwPaused, false
	}
	resumed := s.bwPaused && !paused && !s.paused
	s.bwArea, s.bwPaused = area, paused
	if resumed {
		p.keyframeFor(b)
	}
	return s.paused || s.bwPaused, true
}

// pausedFor says whether the subscriber's binding is paused: by its view
// (hidden, as just taken) or by its bandwidth grant.
func (p *layerPolicy) pausedFor(ssrc uint32, hidden bool) bool {
	if s := p.subs[ssrc]; s != nil {
		return hidden || s.bwPaused
	}
	return hidden
}

// reselect sets the layer each binding wants (in binds) from the layers
// ready now and its view and cap, asks for keyframes of the layers some
// binding waits for, and suspends or resumes layers; it says whether the
// suspended set changed (the publisher is then told, see active).
func (p *layerPolicy) reselect(binds []bindState, now int64) (changed bool) {
	if !p.simulcast {
		return false
	}
	var waiting, needed uint8
	for i := range binds {
		b := &binds[i]
		var size tileSize
		var maxArea int64
		if s := p.subs[b.ssrc]; s != nil {
			size, maxArea = s.size, s.bwArea
		}
		if w := p.choose(size, now, maxArea); w >= 0 {
			b.want = w
		}
		if b.paused {
			continue
		}
		if b.want >= 0 {
			needed |= 1 << b.want
			if b.want != b.cur {
				waiting |= 1 << b.want
			}
		}
		if b.cur >= 0 {
			needed |= 1 << b.cur
		}
	}
	changed = p.suspendUnneeded(needed, now)
	for i := range int8(maxLayers) {
		if waiting&(1<<i) != 0 {
			p.ask(i)
		}
	}
	return changed
}

// suspendUnneeded: a layer nobody has got or wanted for suspendAfter is
// suspended, one wanted again is resumed at once. The smallest layer
// always goes on (a new subscriber starts at once, and its keyframes keep
// the sizes known), and a layer never keyframed is never suspended (its
// size is unknown, nobody could want it; stopping it would keep it
// unknown for good). It says whether anything changed.
func (p *layerPolicy) suspendUnneeded(needed uint8, now int64) (changed bool) {
	keep := p.smallest()
	if keep < 0 {
		return false
	}
	needed |= 1 << keep
	for i := range p.layers {
		l := &p.layers[i]
		if !l.present {
			continue
		}
		suspend := false
		switch {
		case needed&(1<<i) != 0, l.w == 0:
			l.unneededSince = 0
		default:
			if l.unneededSince == 0 {
				l.unneededSince = now
			}
			suspend = l.suspended || now-l.unneededSince >= int64(suspendAfter)
		}
		if l.suspended == suspend {
			continue
		}
		if suspend {
			// Only a layer still arriving stays ready while suspended:
			// one its publisher had stopped of its own accord (no
			// bandwidth, no CPU) would be resumed to nothing.
			l.liveWhenSuspended = now-l.lastAt < int64(layerStale)
		} else {
			l.lastAt = now
		}
		l.suspended = suspend
		changed = true
	}
	return changed
}

// smallest is the layer always kept on: the smallest known (slots fill
// in arrival order for RIDs other than q, h, f), else the first; -1 if
// there is none.
func (p *layerPolicy) smallest() int8 {
	keep, keepArea, first := int8(-1), int64(0), int8(-1)
	for i := range p.layers {
		l := &p.layers[i]
		if !l.present {
			continue
		}
		if first < 0 {
			first = int8(i)
		}
		if area := int64(l.w) * int64(l.h); area > 0 && (keep < 0 || area < keepArea) {
			keep, keepArea = int8(i), area
		}
	}
	if keep < 0 {
		return first
	}
	return keep
}

// suspended is the set of suspended layers, a bit each.
func (p *layerPolicy) suspended() uint8 {
	var s uint8
	for i := range p.layers {
		if p.layers[i].suspended {
			s |= 1 << i
		}
	}
	return s
}

// active is what the publisher is told it should send: every layer its
// offer named (offered, in its order) but those suspended, so a layer
// not arrived yet is not switched off by omission.
func (p *layerPolicy) active(offered []string) []string {
	var out []string
	for _, rid := range offered {
		off := false
		for i := range p.layers {
			if l := &p.layers[i]; l.present && l.suspended && l.rid == rid {
				off = true
			}
		}
		if !off {
			out = append(out, rid)
		}
	}
	return out
}

// ask asks for a keyframe of layer li (an absent one is skipped); it is
// sent by keyframes, at most every keyframeInterval.
func (p *layerPolicy) ask(li int8) {
	if li >= 0 && li < maxLayers && p.layers[li].present {
		p.asked |= 1 << li
	}
}

// askAll asks for a keyframe of every layer (a subscriber waiting for
// its first picture, no layer known yet).
func (p *layerPolicy) askAll() {
	for i := range int8(maxLayers) {
		p.ask(i)
	}
}

// keyframes are the layers to send a keyframe request for now: those
// asked for whose last request is keyframeInterval old, and on a
// simulcast track every layer arriving without a keyframe seen yet (its
// first went out before the connection was up, or was lost: nobody can
// start on it or learn its size). next (unix ns, 0: none) is when a
// request held back by the interval may go: the owner calls again then,
// so whoever needs one now (a track shown again) is not left to wait for
// the publisher's next keyframe of its own accord.
func (p *layerPolicy) keyframes(now int64) (send uint8, next int64) {
	for i := range p.layers {
		l := &p.layers[i]
		bit := uint8(1) << i
		if p.simulcast && l.present && l.w == 0 && now-l.lastAt < int64(layerStale) {
			p.asked |= bit
		}
		if p.asked&bit == 0 {
			continue
		}
		if at := l.lastKeyReq + int64(keyframeInterval); l.lastKeyReq != 0 && now < at {
			if next == 0 || at < next {
				next = at
			}
			continue
		}
		l.lastKeyReq = now
		p.asked &^= bit
		send |= bit
	}
	return send, next
}

// keyframeInterval bounds how often keyframes are asked of a publisher:
// every subscriber's PLI at once would make it send nothing but keyframes.
const keyframeInterval = 500 * time.Millisecond
