package client

import (
	"maps"
	"testing"
	"time"
)

// camera is rooms join's simulcast camera: q 80, h 200, f 500 kbit/s.
var camera = uplinkTrack{id: "video", encodings: []encoding{{"q", 80_000}, {"h", 200_000}, {"f", 500_000}}}

func TestAllocateUplink(t *testing.T) {
	allOn := func(string, string) (bool, bool) { return true, true }
	allOff := func(string, string) (bool, bool) { return false, true }
	held := func(_, rid string) (bool, bool) { return rid == "q", rid == "q" }
	screen := uplinkTrack{id: "screen", encodings: []encoding{{"", 1_500_000}}}
	alone := uplinkTrack{id: "video", encodings: []encoding{{"", 250_000}}}
	tests := []struct {
		name   string
		budget int
		tracks []uplinkTrack
		state  func(string, string) (bool, bool)
		want   map[string]map[string]int
	}{
		{"everything fits", 900_000, []uplinkTrack{camera}, allOn,
			map[string]map[string]int{"video": {"q": 80_000, "h": 200_000, "f": 500_000}}},
		{"a 300 kbit/s link: only the smallest layer", 0.9*300_000 - audioReserveBps, []uplinkTrack{camera}, allOn,
			map[string]map[string]int{"video": {"q": 80_000, "h": 0, "f": 0}}},
		{"the top layer does not fit whole", 700_000, []uplinkTrack{camera}, allOn,
			map[string]map[string]int{"video": {"q": 80_000, "h": 200_000, "f": 0}}},
		{"a layer off needs a margin to come back", 285_000, []uplinkTrack{camera}, allOff,
			map[string]map[string]int{"video": {"q": 80_000, "h": 0, "f": 0}}},
		{"a layer on stays on at its cost", 285_000, []uplinkTrack{camera}, allOn,
			map[string]map[string]int{"video": {"q": 80_000, "h": 200_000, "f": 0}}},
		{"a layer in its backoff stays off", 2_000_000, []uplinkTrack{camera}, held,
			map[string]map[string]int{"video": {"q": 80_000, "h": 0, "f": 0}}},
		{"the smallest layer is squeezed, never stopped", 50_000, []uplinkTrack{camera}, allOn,
			map[string]map[string]int{"video": {"q": 50_000, "h": 0, "f": 0}}},
		{"squeezed to the floor at worst", -100_000, []uplinkTrack{camera}, allOn,
			map[string]map[string]int{"video": {"q": minEncodingBps, "h": 0, "f": 0}}},
		{"a track sent alone is squeezed", 150_000, []uplinkTrack{alone}, allOn,
			map[string]map[string]int{"video": {"": 150_000}}},
		{"camera and screen: both first encodings before any layer", 600_000, []uplinkTrack{screen, camera}, allOn,
			map[string]map[string]int{"video": {"q": 80_000, "h": 0, "f": 0}, "screen": {"": 520_000}}},
		{"camera and screen on a wide link", 3_000_000, []uplinkTrack{screen, camera}, allOn,
			map[string]map[string]int{"video": {"q": 80_000, "h": 200_000, "f": 500_000}, "screen": {"": 1_500_000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allocateUplink(tt.budget, tt.tracks, tt.state)
			if !maps.EqualFunc(got, tt.want, func(a, b map[string]int) bool { return maps.Equal(a, b) }) {
				t.Errorf("allocateUplink(%d) = %v, want %v", tt.budget, got, tt.want)
			}
		})
	}
}

func TestLayerBackoff(t *testing.T) {
	u := newUplink([]LocalTrack{{Bitrates: []int{1}, OnBitrate: func(map[string]int) {}}})
	k := layerKey{"video", "f"}
	t0 := time.Unix(1000, 0)
	u.noteLayer(k, true, t0)
	u.noteLayer(k, false, t0.Add(time.Second))
	if b := u.layers[k]; b.on || b.wait != backoffFirst || !b.until.Equal(t0.Add(time.Second+backoffFirst)) {
		t.Fatalf("first stop: %+v, want off for %v", b, backoffFirst)
	}
	// Back on, and stopped again soon: twice the wait, up to the most.
	now := t0.Add(time.Second)
	wait := backoffFirst
	for range 6 {
		now = now.Add(wait)
		u.noteLayer(k, true, now)
		now = now.Add(time.Second)
		u.noteLayer(k, false, now)
		wait = min(2*wait, backoffMost)
		if b := u.layers[k]; b.wait != wait {
			t.Fatalf("stopped again within %v: wait %v, want %v", backoffReset, b.wait, wait)
		}
	}
	// On for longer than backoffReset: the next stop waits the least again.
	now = now.Add(wait)
	u.noteLayer(k, true, now)
	u.noteLayer(k, false, now.Add(backoffReset+time.Second))
	if b := u.layers[k]; b.wait != backoffFirst {
		t.Fatalf("stopped after a long while on: wait %v, want %v", b.wait, backoffFirst)
	}
}

func TestRatesMoved(t *testing.T) {
	for _, tt := range []struct {
		prev, next map[string]int
		want       bool
	}{
		{map[string]int{"q": 80_000}, map[string]int{"q": 80_000}, false},
		{map[string]int{"q": 80_000}, map[string]int{"q": 82_000}, false},
		{map[string]int{"q": 80_000}, map[string]int{"q": 60_000}, true},
		{map[string]int{"q": 80_000, "h": 0}, map[string]int{"q": 80_000, "h": 200_000}, true},
		{map[string]int{"q": 80_000, "h": 200_000}, map[string]int{"q": 80_000, "h": 0}, true},
	} {
		if got := ratesMoved(tt.prev, tt.next); got != tt.want {
			t.Errorf("ratesMoved(%v, %v) = %v, want %v", tt.prev, tt.next, got, tt.want)
		}
	}
}

// TestNoUplinkWithoutAdaptableTracks: a call whose tracks cannot change
// their bitrate (the load tester's clips) runs no estimator nor pacer.
func TestNoUplinkWithoutAdaptableTracks(t *testing.T) {
	if u := newUplink([]LocalTrack{{Kind: "video"}, {Kind: "audio"}}); u != nil {
		t.Error("an estimate for tracks that cannot adapt")
	}
	if u := newUplink([]LocalTrack{{Kind: "video", Bitrates: []int{250_000}, OnBitrate: func(map[string]int) {}}}); u == nil {
		t.Error("no estimate for a track that adapts")
	}
}

func TestGoodput(t *testing.T) {
	for _, tt := range []struct {
		stats map[string]any
		want  int
	}{
		{map[string]any{"averageLoss": 0.0, "usage": "normal"}, 100_000},
		{map[string]any{"averageLoss": 0.01, "usage": "underuse"}, 100_000},
		{map[string]any{"averageLoss": 0.05, "usage": "normal"}, 0}, // lost on the way
		{map[string]any{"averageLoss": 0.0, "usage": "overuse"}, 0}, // a queue grows
		{map[string]any{}, 0},
	} {
		if got := goodput(tt.stats, 25_000, 2*time.Second); got != tt.want {
			t.Errorf("goodput(%v, 25000 B, 2 s) = %d, want %d", tt.stats, got, tt.want)
		}
	}
}
