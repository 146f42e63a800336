package sfu

import (
	"slices"
	"sync"
	"time"
)

// Allocation: what each subscriber receives, from its connection's
// bandwidth estimate (bwe.go). Audio comes first (it is small and the
// call is nothing without it); then the video tiles in order of
// priority: a shared screen, then whoever speaks, then the larger tiles
// (the spotlight, a pinned tile), then the rest. First every tile gets
// its smallest layer while the budget lasts (a tile that does not fit
// is paused), then each in turn is raised to the largest layer that fits,
// up to the one its tile size needs. The track's owner (owner.go) turns a
// grant into a layer as before: the grant is a cap on the picture's area,
// or a pause.
//
// Hysteresis: raising a tile (or resuming one) needs its extra cost to
// fit with upHeadroom to spare, where keeping it needs it to fit; a tile
// brought down may not be raised again for a while (upBackoffMin, then
// doubling to upBackoffMax while it keeps falling back). Raising is also
// how the estimate is probed: the estimate grows on a quiet link
// (bweNext), a raised tile's packets test it, and overuse brings both
// down again.

const (
	allocEvery   = 500 * time.Millisecond
	upHeadroom   = 1.25
	upBackoffMin = 2 * time.Second
	upBackoffMax = 30 * time.Second
	// budgetShare of the estimate is spent: the rest absorbs keyframes
	// and retransmissions.
	budgetShare = 0.9
)

// layerCost is one ready layer of a tile: its picture area and what it
// costs (bits/s).
type layerCost struct {
	area, bps int64
}

// tileDemand is one video tile of a subscriber as the allocation sees it.
type tileDemand struct {
	prio int64
	// layers are the layers ready now, smallest first; want is the index
	// of the one its tile size needs.
	layers []layerCost
	want   int
	// had is the index of the layer granted last time (-1: paused or
	// new); blocked: it may not be raised above had now.
	had     int
	blocked bool
}

// allocate grants each tile a layer (an index into its layers) or -1
// (paused), within budget bits/s, into out. probe: nothing else (no
// audio) flows to the subscriber, so if every tile is paused one goes on
// all the same.
func allocate(budget int64, tiles []tileDemand, probe bool, out []int) []int {
	out = out[:0]
	order := make([]int, len(tiles))
	for i := range tiles {
		out = append(out, -1)
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch pa, pb := tiles[a].prio, tiles[b].prio; {
		case pa > pb:
			return -1
		case pa < pb:
			return 1
		}
		return 0
	})
	left := float64(budget)
	// need is what raising tile t from layer from to layer to costs as
	// judged now: a step above what it had needs headroom.
	need := func(t *tileDemand, from, to int) float64 {
		c := float64(t.layers[to].bps)
		if from >= 0 {
			c -= float64(t.layers[from].bps)
		}
		if to > t.had {
			c *= upHeadroom
		}
		return c
	}
	for _, i := range order {
		t := &tiles[i]
		if len(t.layers) == 0 || t.want < 0 || (t.blocked && t.had < 0) {
			continue
		}
		if c := need(t, -1, 0); c <= left {
			out[i] = 0
			left -= float64(t.layers[0].bps)
		}
	}
	if probe && !slices.ContainsFunc(out, func(g int) bool { return g >= 0 }) {
		// Everything paused and no audio: with nothing sent there is no
		// feedback and the estimate cannot climb. The first tile not held back goes
		// on its smallest layer all the same, as a probe; if the link
		// still cannot carry it, it is paused again for longer.
		for _, i := range order {
			if t := &tiles[i]; len(t.layers) > 0 && t.want >= 0 && !t.blocked {
				out[i] = 0
				break
			}
		}
	}
	for _, i := range order {
		t := &tiles[i]
		for out[i] >= 0 && out[i] < t.want {
			next := out[i] + 1
			if t.blocked && next > t.had {
				break
			}
			c := need(t, out[i], next)
			if c > left {
				break
			}
			left -= float64(t.layers[next].bps - t.layers[out[i]].bps)
			out[i] = next
		}
	}
	return out
}

// rateMeter measures what one layer costs, from the bytes its reader
// counts (layer.bytes); any subscriber's allocator samples it, at most
// once an allocEvery.
type rateMeter struct {
	mu        sync.Mutex
	lastBytes uint64
	lastAt    int64
	bps       int64 // the newest measure, averaged
}

// rate is the layer's cost in bits/s now (0: not measured yet).
func (m *rateMeter) rate(bytes uint64, now int64) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastAt == 0 {
		m.lastBytes, m.lastAt = bytes, now
		return m.bps
	}
	if dt := now - m.lastAt; dt >= int64(allocEvery) {
		bps := int64(float64(bytes-m.lastBytes) * 8 / time.Duration(dt).Seconds())
		switch {
		case bps == 0:
			// Not sent (suspended, stopped): it costs what it did.
		case m.bps == 0:
			m.bps = bps
		default:
			// A keyframe is a burst: average over a few samples.
			m.bps += (bps - m.bps) / 4
		}
		m.lastBytes, m.lastAt = bytes, now
	}
	return m.bps
}

// areaCost is what a layer never measured is taken to cost: about what
// rooms' clients and browsers spend on a picture of that area.
func areaCost(area int64) int64 { return max(4*area, 30_000) }
