package sfu

import (
	"testing"
	"time"
)

// TestRaiseGate: a fall shuts raises for gateMin; a fall soon after a
// raise (a failed probe) doubles that, up to gateMax; falls while
// converging (no raise between) do not; a long quiet resets it.
func TestRaiseGate(t *testing.T) {
	s := int64(time.Second)
	type step struct {
		at       int64 // s
		op       string
		shutTill int64 // s: shut just before, open at
	}
	steps := []step{
		{0, "open", 0},
		{10, "down", 18},
		{11, "down", 19}, // converging: no raise between, no doubling
		{12, "down", 20},
		{20, "raise", 20},
		{23, "down", 39}, // the probe failed: 16 s
		{39, "raise", 39},
		{40, "down", 72},  // failed again: 32 s
		{72, "raise", 72}, // and again: 60 s at most
		{73, "down", 133},
		{133, "raise", 133},
		{150, "down", 210}, // a fall 17 s after a raise: not the probe's, kept
		{400, "down", 408}, // over two minutes since the last fall: back to gateMin
	}
	var g raiseGate
	for _, st := range steps {
		now := st.at * s
		switch st.op {
		case "down":
			g.down(now)
		case "raise":
			g.raised(now)
		}
		if st.shutTill > st.at && !g.shut(st.shutTill*s-1) {
			t.Errorf("after %s at %d s: open before %d s", st.op, st.at, st.shutTill)
		}
		if g.shut(st.shutTill * s) {
			t.Errorf("after %s at %d s: still shut at %d s", st.op, st.at, st.shutTill)
		}
	}
}
