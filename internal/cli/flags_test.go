package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// TestEmptyOrZeroFlagsAreRefused: a flag given with an empty or zero value
// (often an unset variable in a script) is a usage error, never the
// default it would mean when left out, and nothing is created or changed.
func TestEmptyOrZeroFlagsAreRefused(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarness(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome))
	out, errOut, code := h.run("create", "--at", "19:00", "--json")
	if code != ExitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var booked apitypes.Room
	if err := json.Unmarshal([]byte(out), &booked); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode string // in the --json error
		wantMsg  string
	}{
		{"create --max 0", []string{"create", "--max", "0"}, "invalid_argument", "--max must be between 1"},
		{"create --max=-1", []string{"create", "--max=-1"}, "invalid_argument", "--max must be between 1"},
		{"create --at empty", []string{"create", "--at", ""}, "bad_time", "--at is empty"},
		{"create --at blank", []string{"create", "--at", "   "}, "bad_time", "--at is empty"},
		{"create --at= empty", []string{"create", "--at="}, "bad_time", "--at is empty"},
		{"create --tz empty", []string{"create", "--at", "19:00", "--tz", ""}, "invalid_argument", "--tz is empty"},
		{"edit --at empty", []string{"edit", booked.ID, "--at", ""}, "bad_time", "--at is empty"},
		{"edit --tz empty", []string{"edit", booked.ID, "--tz", ""}, "invalid_argument", "--tz is empty"},
		{"edit --max 0", []string{"edit", booked.ID, "--max", "0"}, "invalid_argument", "--max must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := h.run(append(tt.args, "--json")...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d (usage); stderr: %s", code, ExitUsage, errOut)
			}
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(errOut), &e); err != nil {
				t.Fatalf("stderr is not a JSON error: %q", errOut)
			}
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantMsg) {
				t.Fatalf("error %+v, want code %q and a message with %q", e.Error, tt.wantCode, tt.wantMsg)
			}
		})
	}
	// Nothing was created (the booked room is the only one) or changed.
	out, errOut, code = h.run("info", booked.ID, "--json")
	if code != ExitOK {
		t.Fatalf("info: exit %d: %s", code, errOut)
	}
	var after apitypes.Room
	if err := json.Unmarshal([]byte(out), &after); err != nil {
		t.Fatal(err)
	}
	if after.State != "scheduled" || !after.StartsAt.Equal(booked.StartsAt) || after.TimeZone != booked.TimeZone || after.MaxParticipants != booked.MaxParticipants {
		t.Fatalf("the booked room changed: before %+v, after %+v", booked, after)
	}
	out, _, _ = h.run("list", "--json")
	if n := strings.Count(out, `"id"`); n != 1 {
		t.Fatalf("list shows %d rooms, want only the booked one:\n%s", n, out)
	}
}

// TestGivenFlagsStillWork: what the refusals above must not catch.
func TestGivenFlagsStillWork(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarness(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome))
	tests := []struct {
		name    string
		args    []string
		check   func(r apitypes.Room) bool
		explain string
	}{
		{"no --max is the default", []string{"create"}, func(r apitypes.Room) bool { return r.MaxParticipants == 50 }, "max_participants 50"},
		{"--max 1", []string{"create", "--max", "1"}, func(r apitypes.Room) bool { return r.MaxParticipants == 1 }, "max_participants 1"},
		{"no --at opens now", []string{"create"}, func(r apitypes.Room) bool { return r.State == "open" }, "open"},
		{"--at now opens now", []string{"create", "--at", "now"}, func(r apitypes.Room) bool { return r.State == "open" }, "open"},
		{"--at 19:00 books it", []string{"create", "--at", "19:00"}, func(r apitypes.Room) bool { return r.State == "scheduled" }, "scheduled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := h.run(append(tt.args, "--json")...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var r apitypes.Room
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if !tt.check(r) {
				t.Fatalf("room %+v, want %s", r, tt.explain)
			}
		})
	}
}
