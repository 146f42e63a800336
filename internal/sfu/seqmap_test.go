package sfu

import (
	"slices"
	"testing"
)

// TestSeqMap feeds a subscriber's numbering a story of packets, gaps and
// skipped probes, and checks the numbers that go out, and that NACKs for
// them map back to the right publisher packets.
func TestSeqMap(t *testing.T) {
	type step struct {
		op  string // "pkt", "gap" (collapse), "skip" (padding)
		seq uint16
	}
	tests := []struct {
		name string
		in   []step
		want []int // number out per "pkt" step, -1 dropped
	}{
		{"in order passes through", []step{{"pkt", 10}, {"pkt", 11}, {"pkt", 12}}, []int{10, 11, 12}},
		{"a loss stays a hole to NACK", []step{{"pkt", 10}, {"pkt", 12}, {"pkt", 11}}, []int{10, 12, 11}},
		{"a pause leaves no hole", []step{{"pkt", 10}, {"gap", 0}, {"pkt", 50}, {"pkt", 51}}, []int{10, 11, 12}},
		{"late from before a pause keeps its number", []step{{"pkt", 10}, {"pkt", 12}, {"gap", 0}, {"pkt", 50}, {"pkt", 11}}, []int{10, 12, 13, 11}},
		{"late from inside the pause is dropped", []step{{"pkt", 10}, {"gap", 0}, {"pkt", 50}, {"pkt", 30}}, []int{10, 11, -1}},
		{"a probe takes out only its own number", []step{{"pkt", 99}, {"pkt", 101}, {"skip", 103}, {"pkt", 104}, {"pkt", 102}, {"pkt", 100}}, []int{99, 101, 103, 102, 100}},
		{"two probes in a row", []step{{"pkt", 10}, {"skip", 11}, {"skip", 12}, {"pkt", 13}}, []int{10, 11}},
		{"numbers wrap", []step{{"pkt", 65534}, {"pkt", 65535}, {"gap", 0}, {"pkt", 7}, {"pkt", 8}}, []int{65534, 65535, 0, 1}},
		{"too old is dropped", []step{{"pkt", 1000}, {"pkt", 500}}, []int{1000, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m seqMap
			var got []int
			sent := map[uint16]uint16{} // number out → publisher's
			for _, s := range tt.in {
				switch s.op {
				case "pkt":
					o, ok := m.out(s.seq)
					if !ok {
						got = append(got, -1)
						continue
					}
					got = append(got, int(o))
					sent[o] = s.seq
				case "gap":
					m.collapse()
				case "skip":
					m.skipOne(s.seq)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("numbers out %v, want %v", got, tt.want)
			}
			for o, p := range sent {
				if back, ok := m.in(o); !ok || back != p {
					t.Errorf("NACK for %d maps to %d (%v), want publisher packet %d", o, back, ok, p)
				}
			}
		})
	}
}

func TestSeqMapNackForAHole(t *testing.T) {
	var m seqMap
	m.out(99)
	m.out(101) // 100 lost on the way in
	m.skipOne(103)
	m.out(104)
	// The subscriber never got 100 or 102 and asks for them: they map to
	// the publisher's 100 and 102, which the history may hold.
	for _, o := range []uint16{100, 102} {
		if p, ok := m.in(o); !ok || p != o {
			t.Errorf("NACK for %d maps to %d (%v), want %d", o, p, ok, o)
		}
	}
	if _, ok := m.in(110); ok {
		t.Error("a number never given out mapped to a packet")
	}
}
