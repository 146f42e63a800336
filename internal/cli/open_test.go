package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// rooms open asks first on a terminal (its invitees are told at once),
// refuses off one without --yes, and opens with --yes.
func TestOpenConfirms(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarness(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome))
	book := func() string {
		t.Helper()
		out, errOut, code := h.run("create", "--at", "19:00", "--invite", "ann,bo@example.com", "--json")
		if code != ExitOK {
			t.Fatalf("create: %s", errOut)
		}
		var r apitypes.Room
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	state := func(id string) string {
		t.Helper()
		out, _, _ := h.run("info", id, "--jq", ".state")
		return strings.TrimSpace(out)
	}
	tests := []struct {
		name      string
		tty       bool
		stdin     string
		args      []string
		code      int
		wantState string
		wantOut   string
	}{
		{"terminal, no", true, "n\n", nil, ExitOK, "scheduled", "invitee is told it is open. [y/N] Not opened."},
		{"terminal, enter", true, "\n", nil, ExitOK, "scheduled", "Not opened."},
		{"terminal, yes", true, "y\n", nil, ExitOK, "open", "is open"},
		{"not a terminal", false, "y\n", nil, ExitUsage, "scheduled", ""},
		{"--yes", false, "", []string{"--yes"}, ExitOK, "open", "is open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := book()
			h.tty, h.stdin = tt.tty, tt.stdin
			out, errOut, code := h.run(append([]string{"open", id, "--color", "never"}, tt.args...)...)
			h.tty, h.stdin = false, ""
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			if got := state(id); got != tt.wantState {
				t.Errorf("state %q, want %q", got, tt.wantState)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q, want %q", out, tt.wantOut)
			}
			if tt.code == ExitUsage && !strings.Contains(errOut, "pass --yes to confirm when not on a terminal") {
				t.Errorf("refusal does not say what to do: %q", errOut)
			}
		})
	}
}

// --web hands the room's link to $BROWSER (here a script that records
// its arguments), never prints the host key, and refuses a link that is
// not http(s).
func TestWebOpensTheLinkInTheBrowser(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarness(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome))
	out, errOut, code := h.run("create", "--at", "19:00", "--json")
	if code != ExitOK {
		t.Fatalf("create: %s", errOut)
	}
	var r apitypes.Room
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	record := filepath.Join(dir, "args")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > "+record+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		browser string
		args    []string
		want    string
	}{
		{"link --web", script, []string{"link", r.ID, "--web"}, r.Link + "\n"},
		{"info --web", script, []string{"info", r.ID, "-w"}, r.Link + "\n"},
		{"BROWSER with arguments", script + " --new-window", []string{"link", r.ID, "--web"}, "--new-window\n" + r.Link + "\n"},
		{"as the host", script, []string{"link", r.ID, "--web", "--host"}, r.Link + "#host=" + r.HostKey + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(record)
			h.env = map[string]string{"BROWSER": tt.browser}
			out, errOut, code := h.run(tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			got, err := os.ReadFile(record)
			if err != nil {
				t.Fatalf("the browser was not run: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("browser got %q, want %q", got, tt.want)
			}
			if out != "" || !strings.Contains(errOut, "Opening "+r.Link+" in your browser") || strings.Contains(errOut, r.HostKey) {
				t.Errorf("stdout %q, stderr %q", out, errOut)
			}
		})
	}
	h.env = map[string]string{"BROWSER": filepath.Join(dir, "no-such-browser")}
	_, errOut, code = h.run("link", r.ID, "--web")
	if code != ExitFailure || !strings.Contains(errOut, "set BROWSER") {
		t.Errorf("missing browser: exit %d, %q", code, errOut)
	}
}

func TestWebRefusesALinkThatIsNotHTTP(t *testing.T) {
	f := &Factory{IO: &IOStreams{}, Getenv: func(string) string { return "/bin/true" }}
	for _, link := range []string{"file:///etc/passwd", "javascript:alert(1)", "--help", "http://"} {
		if err := f.openInBrowser(t.Context(), link); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
			t.Errorf("%q: %v", link, err)
		}
	}
}
