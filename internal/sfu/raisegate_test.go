package sfu

import (
	"testing"
	"time"
)

// TestRaiseGate: a fall shuts raises for gateMin; a fall soon after a
// raise (a failed probe) doubles that, up to gateMax (two minutes); falls while
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
		{10, "down", 14},
		{11, "down", 15}, // converging: no raise between, no doubling
		{12, "down", 16},
		{16, "raise", 16},
		{19, "down", 27}, // the probe failed: 8 s
		{27, "raise", 27},
		{28, "down", 44},  // failed again: 16 s
		{44, "raise", 44}, // and again: 32, 64, then 120 s at most
		{45, "down", 77},
		{77, "raise", 77},
		{78, "down", 142},
		{142, "raise", 142},
		{143, "down", 263},
		{263, "raise", 263},
		{264, "down", 384},
		{384, "raise", 384},
		{410, "down", 530}, // a fall 26 s after a raise: not the probe's, kept
		{900, "down", 904}, // over five minutes since the last fall: back to gateMin
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
