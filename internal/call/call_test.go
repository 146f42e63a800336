package call

import "testing"

func TestScreenLimitMessage(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		names []string
		want  string
	}{
		{"one slot, one sharer", 1, []string{"ann"},
			"this room shows at most 1 shared screen at once and ann is sharing; ask them to stop"},
		{"two slots, two sharers", 2, []string{"ann", "bo"},
			"this room shows at most 2 shared screens at once and ann, bo are sharing; ask one of them to stop"},
		// The host lowered the cap below the screens already shared.
		{"more sharers than slots", 1, []string{"ann", "bo"},
			"this room shows at most 1 shared screen at once and ann, bo are sharing; ask one of them to stop"},
		{"sharers no longer in the call", 3, nil,
			"this room shows at most 3 shared screens at once; share again when one stops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := screenLimitMessage(tt.limit, tt.names); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
