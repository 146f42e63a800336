package sfu

import (
	"testing"
	"time"
)

func TestSpeakingDetector(t *testing.T) {
	t0 := time.Unix(0, 0)
	type step struct {
		atMS        int
		level       uint8
		wantChanged bool
		wantSpeak   bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"silence never speaks", []step{{0, 127, false, false}, {20, 90, false, false}, {40, 60, false, false}}},
		{"three loud packets start speaking", []step{{0, 30, false, false}, {20, 30, false, false}, {40, 30, true, true}, {60, 30, false, true}}},
		{"one cough does not", []step{{0, 10, false, false}, {20, 127, false, false}, {300, 10, false, false}, {320, 127, false, false}}},
		{"a short pause keeps speaking", []step{{0, 30, false, false}, {20, 30, false, false}, {40, 30, true, true}, {300, 127, false, true}, {500, 127, false, true}}},
		{"a long pause stops", []step{{0, 30, false, false}, {20, 30, false, false}, {40, 30, true, true}, {400, 127, false, true}, {700, 127, true, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d speakingDetector
			for i, s := range tt.steps {
				changed, speaking := d.observe(s.level, t0.Add(time.Duration(s.atMS)*time.Millisecond))
				if changed != s.wantChanged || speaking != s.wantSpeak {
					t.Fatalf("step %d (%d ms, level %d): changed=%v speaking=%v, want %v %v", i, s.atMS, s.level, changed, speaking, s.wantChanged, s.wantSpeak)
				}
			}
		})
	}
}
