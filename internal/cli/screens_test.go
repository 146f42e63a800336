package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// TestMaxScreenShares runs create, edit and info with --max-screen-shares
// against a server whose cap is the default 10.
func TestMaxScreenShares(t *testing.T) {
	h := newHarness(t, time.Now())
	out, errOut, code := h.run("create", "--max-screen-shares", "2", "--json")
	if code != 0 {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var r apitypes.Room
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.MaxScreenShares != 2 {
		t.Fatalf("create --json: max_screen_shares = %d, want 2", r.MaxScreenShares)
	}

	tests := []struct {
		name     string
		args     []string
		wantExit int
		want     string // in stdout on success, in the error message otherwise
		wantCode string // the JSON error's code, on failure
	}{
		{"info shows the room's cap", []string{"info", r.ID}, ExitOK, "at most 2 shared at once", ""},
		{"create without the flag follows the server", []string{"create"}, ExitOK, "at most 10 shared at once", ""},
		{"create shows the room's cap", []string{"create", "--max-screen-shares", "1"}, ExitOK, "at most 1 shared at once", ""},
		{"create above the server's cap names it", []string{"create", "--max-screen-shares", "60"}, ExitUsage,
			"--max-screen-shares 60 is above this server's cap of 10", "invalid_argument"},
		{"create with a negative cap is a usage error", []string{"create", "--max-screen-shares", "-1"}, ExitUsage,
			"--max-screen-shares must be 1 or more", "usage"},
		{"edit lowers it", []string{"edit", r.ID, "--max-screen-shares", "1"}, ExitOK, "updated", ""},
		{"info after the edit", []string{"info", r.ID}, ExitOK, "at most 1 shared at once", ""},
		{"edit above the server's cap names it", []string{"edit", r.ID, "--max-screen-shares", "11"}, ExitUsage,
			"--max-screen-shares 11 is above this server's cap of 10", "invalid_argument"},
		{"edit with a negative cap is a usage error", []string{"edit", r.ID, "--max-screen-shares", "-2"}, ExitUsage,
			"--max-screen-shares must be 1 or more", "usage"},
		{"the refused edits changed nothing", []string{"info", r.ID}, ExitOK, "at most 1 shared at once", ""},
		{"edit 0 hands it back to the server", []string{"edit", r.ID, "--max-screen-shares", "0"}, ExitOK, "updated", ""},
		{"info after handing it back", []string{"info", r.ID}, ExitOK, "at most 10 shared at once", ""},
		{"info --json carries it", []string{"info", r.ID, "--json"}, ExitOK, `"max_screen_shares": 10`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := h.run(tt.args...)
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantExit, errOut)
			}
			if tt.wantExit == ExitOK {
				if !strings.Contains(out, tt.want) {
					t.Errorf("output lacks %q:\n%s", tt.want, out)
				}
				return
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr lacks %q: %s", tt.want, errOut)
			}
			// The same mistake with --json: the code scripts test.
			_, errOut, _ = h.run(append(tt.args, "--json")...)
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(errOut), &e); err != nil {
				t.Fatalf("stderr is not a JSON error: %q", errOut)
			}
			if e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.want) {
				t.Errorf("JSON error = %+v, want code %q and a message with %q", e.Error, tt.wantCode, tt.want)
			}
		})
	}
}
