package daemon

import (
	"testing"
	"time"
)

func TestParseRetain(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "30d", want: 30 * day},
		{in: "0", want: 0},
		{in: "36h", want: 36 * time.Hour},
		{in: " 7d ", want: 7 * day},
		{in: "0d", want: 0},
		{in: "", bad: true},
		{in: "30", bad: true},
		{in: "-1d", bad: true},
		{in: "-5h", bad: true},
		{in: "1.5d", bad: true},
		{in: "forever", bad: true},
	}
	for _, tt := range tests {
		got, err := parseRetain(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("parseRetain(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseRetain(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestRetainFlagDefaultAndEnv(t *testing.T) {
	t.Setenv("ROOMSD_RETAIN", "7d")
	cmd := newCmdServe(nil)
	if got := cmd.Flags().Lookup("retain").DefValue; got != "30d" {
		t.Errorf("--retain default shows %q, want 30d", got)
	}
	if err := bindEnv(cmd.Flags()); err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Lookup("retain").Value.String(); got != "7d" {
		t.Errorf("ROOMSD_RETAIN=7d gave --retain %q", got)
	}
	t.Setenv("ROOMSD_RETAIN", "soon")
	cmd = newCmdServe(nil)
	if err := bindEnv(cmd.Flags()); err == nil {
		t.Error("ROOMSD_RETAIN=soon was accepted")
	}
}
