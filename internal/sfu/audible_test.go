package sfu

import (
	"slices"
	"testing"
)

func TestSelectAudible(t *testing.T) {
	loud := func(db int32) int32 { return db * loudnessScale }
	tests := []struct {
		name string
		in   []audioCandidate
		want []bool
	}{
		{"three or fewer are all heard", []audioCandidate{{loudness: loud(0)}, {loudness: loud(5)}}, []bool{true, true}},
		{"the three loudest of five",
			[]audioCandidate{{loudness: loud(10)}, {loudness: loud(90)}, {loudness: loud(20)}, {loudness: loud(80)}, {loudness: loud(70)}},
			[]bool{false, true, false, true, true}},
		{"someone starting to speak is heard too",
			[]audioCandidate{{loudness: loud(90)}, {loudness: loud(85)}, {loudness: loud(80)}, {loudness: loud(40), speaking: true}, {loudness: loud(10)}},
			[]bool{true, true, true, true, false}},
		{"at most two speakers beyond the three",
			[]audioCandidate{{loudness: loud(90)}, {loudness: loud(85)}, {loudness: loud(80)},
				{loudness: loud(40), speaking: true}, {loudness: loud(39), speaking: true}, {loudness: loud(38), speaking: true}},
			[]bool{true, true, true, true, true, false}},
		{"one heard keeps its place against one a little louder",
			[]audioCandidate{{loudness: loud(90)}, {loudness: loud(85)}, {loudness: loud(80), audible: true}, {loudness: loud(84)}},
			[]bool{true, true, true, false}},
		{"but not against one much louder",
			[]audioCandidate{{loudness: loud(90)}, {loudness: loud(85)}, {loudness: loud(60), audible: true}, {loudness: loud(84)}},
			[]bool{true, true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := selectAudible(tt.in, DefaultForwardVoices); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
