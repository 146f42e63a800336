package sfu

import (
	"slices"
	"testing"
	"time"
)

// Three layers as rooms' clients send a 640x360 camera at 600 kbit/s.
var camLayers = []layerCost{{160 * 90, 96_000}, {320 * 180, 240_000}, {640 * 360, 600_000}}

func cam(prio int64, want, had int) tileDemand {
	return tileDemand{prio: prio, layers: camLayers, want: want, had: had}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name   string
		budget int64
		tiles  []tileDemand
		want   []int
		probe  bool
	}{
		{"everything fits: each its wanted layer", 5_000_000,
			[]tileDemand{cam(10, 2, 2), cam(1, 0, 0), cam(1, 1, 1)}, []int{2, 0, 1}, false},
		{"the larger tile first, on the largest layer that fits", 900_000,
			[]tileDemand{cam(1, 2, 2), cam(10, 2, 2)}, []int{1, 2}, false},
		{"too little for everyone's smallest: the least important paused", 200_000,
			[]tileDemand{cam(1, 0, 0), cam(3, 0, 0), cam(2, 0, 0)}, []int{-1, 0, 0}, false},
		{"nothing fits: all paused", 50_000,
			[]tileDemand{cam(1, 0, 0), cam(2, 2, 2)}, []int{-1, -1}, false},
		{"a negative budget (audio took it all): all paused", -10_000,
			[]tileDemand{cam(1, 0, 0)}, []int{-1}, false},
		{"smallest for all before anyone's larger", 300_000,
			[]tileDemand{cam(10, 2, 2), cam(1, 2, 2), cam(1, 2, 2)}, []int{0, 0, 0}, false},
		{"the spotlight raised with what is left", 450_000,
			[]tileDemand{cam(10, 2, 1), cam(1, 2, 0)}, []int{1, 0}, false},
		{"hysteresis: kept where it is at its cost exactly", 600_000,
			[]tileDemand{cam(1, 2, 2)}, []int{2}, false},
		{"hysteresis: not raised without headroom", 600_000,
			[]tileDemand{cam(1, 2, 1)}, []int{1}, false},
		{"hysteresis: raised with headroom", 700_000,
			[]tileDemand{cam(1, 2, 1)}, []int{2}, false},
		{"hysteresis: a paused tile needs headroom to resume", 100_000,
			[]tileDemand{cam(1, 0, -1)}, []int{-1}, false},
		{"a paused tile resumes with headroom", 130_000,
			[]tileDemand{cam(1, 0, -1)}, []int{0}, false},
		{"blocked: not raised above what it had, though it fits", 5_000_000,
			[]tileDemand{{prio: 1, layers: camLayers, want: 2, had: 0, blocked: true}}, []int{0}, false},
		{"restoring (paused, shown as had 0): its smallest layer without headroom, blocked or not", 100_000,
			[]tileDemand{{prio: 1, layers: camLayers, want: 2, had: 0, blocked: true}}, []int{0}, false},
		{"blocked while paused: stays paused", 5_000_000,
			[]tileDemand{{prio: 1, layers: camLayers, want: 2, had: -1, blocked: true}}, []int{-1}, false},
		{"no layer ready: nothing granted", 5_000_000,
			[]tileDemand{{prio: 1, want: -1, had: -1}}, []int{-1}, false},
		{"a plain track: one layer or paused", 100_000,
			[]tileDemand{{prio: 1, layers: []layerCost{{0, 80_000}}, want: 0, had: 0}, {prio: 0, layers: []layerCost{{0, 80_000}}, want: 0, had: 0}}, []int{0, -1}, false},
		{"nothing fits and nothing else flows: the first not held back probes", 50_000,
			[]tileDemand{{prio: 3, layers: camLayers, want: 2, had: -1, blocked: true}, cam(2, 1, -1), cam(1, 0, -1)}, []int{-1, 0, -1}, true},
		{"a probe is the first tile's smallest layer", 50_000,
			[]tileDemand{cam(3, 2, -1), cam(2, 1, -1)}, []int{0, -1}, true},
		{"no probe while anything fits", 100_000,
			[]tileDemand{cam(3, 2, -1), cam(2, 0, 0)}, []int{-1, 0}, true},
		{"no probe while all are held back", 50_000,
			[]tileDemand{{prio: 1, layers: camLayers, want: 2, had: -1, blocked: true}}, []int{-1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := allocate(tc.budget, tc.tiles, tc.probe, nil)
			if !slices.Equal(got, tc.want) {
				t.Errorf("allocate(%d) = %v, want %v", tc.budget, got, tc.want)
			}
		})
	}
}

// TestRateMeter: a layer's cost is measured over allocEvery at least,
// averaged, and kept while it is not sent (suspended).
func TestRateMeter(t *testing.T) {
	var m rateMeter
	ms := int64(1_000_000)
	steps := []struct {
		at    int64 // ms
		bytes uint64
		want  int64
	}{
		{1000, 0, 0},
		{1200, 10_000, 0},          // under allocEvery: not measured
		{1500, 50_000, 800_000},    // 50 kB in 500 ms
		{2000, 50_000, 800_000},    // nothing sent: kept
		{2500, 100_000, 800_000},   // 50 kB again
		{3000, 200_000, 1_000_000}, // 100 kB: a quarter of the way to 1.6 Mbit/s
	}
	for _, st := range steps {
		if got := m.rate(st.bytes, st.at*ms); got != st.want {
			t.Errorf("at %d ms with %d bytes: %d bit/s, want %d", st.at, st.bytes, got, st.want)
		}
	}
}

// TestTilePrio: the allocation's order of tiles.
func TestTilePrio(t *testing.T) {
	s := time.Second
	order := []struct {
		name string
		prio int64
	}{
		{"a screen", tilePrio(320*240, false, true, false, 0)},
		{"a speaker, paused", tilePrio(160*120, true, false, false, 0)},
		{"a large tile on", tilePrio(640*480, false, false, true, 0)},
		{"a small tile on for a minute", tilePrio(160*120, false, false, true, time.Minute)},
		{"a small tile on for 10 s", tilePrio(160*120, false, false, true, 10*s)},
		{"a small tile just resumed", tilePrio(160*120, false, false, true, 0)},
		{"a large tile paused", tilePrio(1920*1080, false, false, false, 0)},
		{"a small tile paused", tilePrio(160*120, false, false, false, 0)},
	}
	for i := 1; i < len(order); i++ {
		if order[i-1].prio <= order[i].prio {
			t.Errorf("%s (%d) does not come before %s (%d)", order[i-1].name, order[i-1].prio, order[i].name, order[i].prio)
		}
	}
	if tilePrio(3840*2160, false, false, false, 0) >= tilePrio(0, false, false, true, 0) {
		t.Error("a 4K tile paused comes before a tile on")
	}
}

// TestTileRestore: a tile that had been on steadily (since before the
// subscriber's last raise, the probe, or for restoreOnFor) and was paused
// by a fall comes back as soon as it fits, for a while; one that came on
// with the probe, or whose return failed, waits like any other.
func TestTileRestore(t *testing.T) {
	s := int64(time.Second)
	tests := []struct {
		name     string
		onSince  int64 // s; 0: it was not on
		probeAt  int64 // s, the last raise; 0: none
		fellAt   int64 // s, paused then
		off      bool
		at       int64 // s, asked then
		restores bool
	}{
		{"on for 30 s, asked 1 s after", 70, 0, 100, true, 101, true},
		{"on for 30 s, asked 9 s after", 70, 0, 100, true, 109, true},
		{"on for 30 s, asked 11 s after: an ordinary paused tile", 70, 0, 100, true, 111, false},
		{"on 7 s, since before the probe", 93, 96, 100, true, 101, true},
		{"on with the probe (or its own failed return)", 96, 96, 100, true, 101, false},
		{"on 3 s, no probe", 97, 0, 100, true, 101, false},
		{"brought down a layer, not paused", 70, 96, 100, false, 101, false},
		{"never on", 0, 96, 100, true, 101, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tileState{backoff: upBackoffMin, onSince: tt.onSince * s}
			st.fell(tt.fellAt*s, tt.off, tt.probeAt*s)
			st.paused = tt.off
			if got := st.restoring(tt.at * s); got != tt.restores {
				t.Errorf("restoring = %v, want %v", got, tt.restores)
			}
		})
	}
}
