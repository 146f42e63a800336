package sfu

import (
	"slices"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Each subscriber has one goroutine, its allocator (allocateLoop), that
// reads its connection's estimate every allocEvery, allocates it
// (allocate.go) and hands each track's owner its grant as an event
// (evBudget): the owners stay the only ones to change a binding's layer
// or pause it, and no lock is added. It also tells the subscriber which
// tracks are paused for its bandwidth (api.Bandwidth), when that changes.

// bandwidthSignaler is a Signaler that can also say which tracks are
// held back for the subscriber's bandwidth; one that cannot is not told.
type bandwidthSignaler interface {
	SendBandwidth(api.Bandwidth)
}

// tileState is what a subscriber's allocator keeps of one track.
type tileState struct {
	// area is the picture area of the layer granted (0: paused or not
	// granted yet); capArea and paused are what its owner was told.
	area          int64
	capArea       int64
	paused        bool // the grant was a pause
	postPaused    bool
	blockedUntil  int64
	backoff       time.Duration
	lastDown      int64
	posted, known bool
	ssrc          uint32 // the SSRC the track is sent to the subscriber with
	// onSince (unix ns) is when it was last turned on (0: paused).
	onSince int64
	// restoreUntil (unix ns): the tile had been on steadily (restoreOnFor)
	// when a fall paused it; until then it comes back on its smallest
	// layer as soon as that fits, gate or no gate (see restoreOnFor).
	restoreUntil int64
}

// A failed probe (a tile resumed or raised past what the link carries)
// makes the estimate fall under what flowed before it, and the tiles
// that had been on before the probe (or for restoreOnFor) can be paused
// with the probed one. They ran on this link: they come back, on their
// smallest layer and without the raise's headroom, as soon as that fits
// (what the link carried, bwe.Carried, or the estimate climbed back),
// instead of waiting out the raise gate (up to gateMax) with the viewer
// seeing nobody. One whose return fails too is an ordinary paused tile
// after that (it came on after the last raise, itself, and not
// restoreOnFor ago).
const (
	restoreOnFor  = 10 * time.Second
	restoreWithin = 10 * time.Second
)

// allocator is one subscriber's allocation state; its goroutine's own.
type allocator struct {
	p      *Peer
	tiles  map[*forwarder]*tileState
	paused []string  // track ids last said paused
	gate   raiseGate // raisegate.go
	// reused buffers: an allocation every 0.5 s per subscriber allocates
	// little once warm.
	demand    []tileDemand
	fwds      []*forwarder
	grants    []int
	seen      map[*forwarder]bool
	speaking  map[string]bool
	pausedBuf []string
}

// allocateLoop runs p's allocation until done is closed.
func (p *Peer) allocateLoop(done <-chan struct{}) {
	a := &allocator{p: p, tiles: map[*forwarder]*tileState{}, seen: map[*forwarder]bool{}, speaking: map[string]bool{}}
	t := time.NewTicker(allocEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		a.run(time.Now().UnixNano(), done)
	}
}

// run allocates once.
func (a *allocator) run(now int64, done <-chan struct{}) {
	p := a.p
	var est int64
	if p.bwe != nil {
		est = p.bwe.Estimate()
	}
	var audio int64
	speaking, seen := a.speaking, a.seen
	clear(speaking)
	clear(seen)
	a.demand, a.fwds = a.demand[:0], a.fwds[:0]
	fwds := p.router.allForwarders()
	// In a stable order: tiles alike keep their places from one
	// allocation to the next, rather than the map's.
	slices.SortFunc(fwds, func(a, b *forwarder) int { return strings.Compare(a.info.ID, b.info.ID) })
	for _, f := range fwds {
		if f.info.ParticipantID == p.id {
			continue
		}
		if !f.sendsTo(p) {
			continue
		}
		seen[f] = true
		if f.kind == webrtc.RTPCodecTypeAudio {
			if f.speakingNow.Load() {
				speaking[f.info.ParticipantID] = true
			}
			if l := f.layers[0].Load(); l != nil && f.audible.Load() {
				audio += l.meter.rate(l.bytes.Load(), now)
			}
			continue
		}
		hidden, size := p.viewOf(f.info.ID)
		if hidden {
			continue // paused by its view already
		}
		a.fwds = append(a.fwds, f)
		var reuse []layerCost
		if n := len(a.demand); n < cap(a.demand) {
			reuse = a.demand[:n+1][n].layers[:0]
		}
		a.demand = append(a.demand, demandOf(f, size, now, reuse))
	}
	// While the gate is shut nothing is raised or resumed (unless nothing
	// flows at all: then the allocation's probe must).
	shut := audio > 0 && a.gate.shut(now)
	// The last raise before this allocation: a tile on since before it
	// ran with the link before the probe (see restoreOnFor).
	probeAt := a.gate.lastRaise
	// Soon after a decrease the estimate is under what the full link
	// carried (bwe.Carried), so that its queue drains. The tiles on
	// before the last raise are kept within what it carried: the raise's
	// own tiles are paused, and that is what drains it. Without this a
	// failed probe paused every tile of a viewer whose audio and one tile
	// filled most of the link, for as long as the estimate took to climb.
	carried := int64(0)
	if p.bwe != nil {
		carried = p.bwe.Carried(now)
	}
	keepCarried := est > 0 && carried > est
	for i, f := range a.fwds {
		d := &a.demand[i]
		st := a.state(f)
		d.had = -1
		if !st.paused && st.known {
			for j, l := range d.layers {
				if st.area == 0 || l.area <= st.area {
					d.had = j
				}
			}
		}
		if keepCarried && d.had >= 0 && probeAt > 0 && st.onSince >= probeAt {
			d.had = -1 // the probe's: paused
		}
		var onFor time.Duration
		if d.had >= 0 && st.onSince > 0 {
			onFor = time.Duration(now - st.onSince)
		}
		if st.restoring(now) && len(d.layers) > 0 {
			// As if it had its smallest layer: kept, not raised (allocate
			// asks no headroom of it, and the gate does not hold it).
			d.had = 0
		}
		d.prio = tilePrio(d.prio, speaking[f.info.ParticipantID], f.info.Kind == api.KindScreen, d.had >= 0, onFor)
		// Kept or restored only, while what the link carried is the
		// budget: it is no estimate to raise anything on.
		d.blocked = now < st.blockedUntil || shut || keepCarried
	}
	if est > 0 {
		a.grants = allocate(int64(budgetShare*float64(max(est, carried)))-audio, a.demand, audio == 0, a.grants)
	} else {
		// No estimate (the subscriber sends no transport-cc feedback):
		// nothing is limited.
		a.grants = a.grants[:0]
		for _, d := range a.demand {
			a.grants = append(a.grants, d.want)
		}
	}
	paused := a.pausedBuf[:0]
	for i, f := range a.fwds {
		d, g, st := &a.demand[i], a.grants[i], a.tiles[f]
		capArea, area, off := int64(0), int64(0), g < 0
		switch {
		case len(d.layers) == 0 || d.want < 0:
			// Nothing ready: nothing to decide yet.
			capArea, off = 0, false
		case off:
			paused = append(paused, f.info.ID)
		default:
			area = d.layers[g].area
			if est > 0 {
				// Capped even at what its tile wants: a layer not ready
				// now (suspended, not keyframed yet) must not be taken
				// when it comes back before the next allocation.
				capArea = area
			}
		}
		if st.known && (off && !st.paused || !off && !st.paused && area < st.area && area > 0) {
			st.fell(now, off, probeAt)
			p.router.sfu.limited.Add(1)
			a.gate.down(now)
		}
		if st.known && !off && (st.paused || area > st.area && st.area > 0) && len(d.layers) > 0 && d.want >= 0 {
			a.gate.raised(now)
		}
		if len(d.layers) > 0 && d.want >= 0 {
			if off {
				st.onSince = 0
			} else if st.onSince == 0 {
				st.onSince = now
			}
			st.area, st.paused, st.known = area, off, true
		}
		if !st.posted || st.capArea != capArea || st.postPaused != off {
			if st.ssrc == 0 {
				st.ssrc, _ = f.ssrcFor(p) // its sender's, for as long as it subscribes
			}
			if st.ssrc != 0 {
				f.post(policyEvent{kind: evBudget, ssrc: st.ssrc, area: capArea, paused: off})
			}
			st.capArea, st.postPaused, st.posted = capArea, off, true
		}
		select {
		case <-done:
			return
		default:
		}
	}
	for f := range a.tiles {
		if !seen[f] {
			delete(a.tiles, f)
		}
	}
	a.pausedBuf = paused
	slices.Sort(paused)
	if !slices.Equal(paused, a.paused) {
		a.paused = append([]string{}, paused...)
		if bs, ok := p.sig.(bandwidthSignaler); ok {
			bs.SendBandwidth(api.Bandwidth{Paused: append([]string{}, paused...), EstimateBps: est})
		}
	}
}

// tilePrio is a tile's place in the allocation's order, from the area
// it is shown at: a shared screen first, then whoever speaks, then the
// tiles on now (pausing one to resume another costs both a keyframe),
// larger first; among tiles alike the one on longest (when the estimate
// falls, the tile just resumed, the probe, goes, not one shown for a
// minute).
func tilePrio(area int64, speaking, screen, on bool, onFor time.Duration) int64 {
	prio := area << 8
	if screen {
		prio += 1 << 49
	}
	if speaking {
		prio += 1 << 48
	}
	if on {
		prio += 1 << 40
		prio += min(int64(onFor/(2*time.Second)), 255)
	}
	return prio
}

// sendsTo says whether the track is sent to p (cheaper than ssrcFor,
// which asks pion for the sender's parameters).
func (f *forwarder) sendsTo(p *Peer) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.senders[p.id] != nil
}

// fell notes the tile brought down at now (paused, when off): not
// raised again for a while, longer each time it falls back soon after;
// restored soon if it had been on steadily: since before probeAt (the
// subscriber's last raise, 0: none), or for restoreOnFor.
func (st *tileState) fell(now int64, off bool, probeAt int64) {
	if now-st.lastDown > int64(upBackoffMax) {
		st.backoff = upBackoffMin
	}
	st.blockedUntil = now + int64(st.backoff)
	st.backoff = min(2*st.backoff, upBackoffMax)
	st.lastDown = now
	if off && st.onSince > 0 && (st.onSince < probeAt || now-st.onSince >= int64(restoreOnFor)) {
		st.restoreUntil = now + int64(restoreWithin)
	}
}

// restoring says whether the tile, paused, comes back on its smallest
// layer as soon as that fits (see restoreOnFor).
func (st *tileState) restoring(now int64) bool { return st.paused && now < st.restoreUntil }

// state is the allocator's state of track f, made on first use.
func (a *allocator) state(f *forwarder) *tileState {
	st := a.tiles[f]
	if st == nil {
		st = &tileState{backoff: upBackoffMin}
		a.tiles[f] = st
	}
	return st
}

// demandOf is what track f asks of a subscriber that shows it at size:
// its layers ready now (as the track's policy counts them ready) with
// their costs, and the one the size needs (as layerPolicy.choose picks).
// Its layers go into buf (reused).
func demandOf(f *forwarder, size tileSize, now int64, buf []layerCost) tileDemand {
	d := tileDemand{want: -1, prio: int64(size.w) * int64(size.h), layers: buf[:0]}
	type lw struct {
		cost layerCost
		w, h int32
	}
	var ls [maxLayers]lw
	n := 0
	for i := range f.layers {
		l := f.layers[i].Load()
		if l == nil {
			continue
		}
		w, h := l.w.Load(), l.h.Load()
		if w <= 0 || !(l.suspended.Load() || now-l.lastAt.Load() < int64(layerStale)) {
			continue
		}
		area := int64(w) * int64(h)
		bps := l.meter.rate(l.bytes.Load(), now)
		if bps <= 0 {
			bps = areaCost(area)
		}
		ls[n] = lw{layerCost{area: area, bps: bps}, w, h}
		n++
	}
	slices.SortFunc(ls[:n], func(a, b lw) int {
		switch {
		case a.cost.area < b.cost.area:
			return -1
		case a.cost.area > b.cost.area:
			return 1
		}
		return 0
	})
	for i := range n {
		d.layers = append(d.layers, ls[i].cost)
	}
	if n == 0 {
		return d
	}
	d.want = n - 1
	if size.w > 0 && size.h > 0 {
		for i := range n {
			if ls[i].w*10 >= size.w*9 && ls[i].h*10 >= size.h*9 {
				d.want = i
				break
			}
		}
	}
	// A cost never falls as the picture grows: a layer measured while it
	// was barely sent (just resumed) is not taken for cheaper than the
	// one below it.
	for i := 1; i < n; i++ {
		d.layers[i].bps = max(d.layers[i].bps, d.layers[i-1].bps)
	}
	return d
}
