package daemon

import (
	"runtime/debug"
	"testing"
)

// TestTuneGC: roomsd's own GOGC unless the environment names one.
func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	for _, tc := range []struct {
		name string
		env  map[string]string
		want int
	}{
		{"GOGC unset", nil, gcPercent},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100},
		{"GOGC=off", map[string]string{"GOGC": "off"}, 100}, // the runtime read it; left alone
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			tuneGC(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("GOGC %d, want %d", got, tc.want)
			}
		})
	}
}
