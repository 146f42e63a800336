package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// harness runs the CLI in-process against a real API on a real SQLite
// file, with one fixed clock for both.
type harness struct {
	t     *testing.T
	url   string
	now   time.Time
	state string
	// config is the config directory (config.toml), empty at first.
	config string
	// tty makes stdin and stdout terminals; stdin is what is typed.
	tty   bool
	stdin string
	// env overrides the environment rooms sees (ROOMS_SERVER: "" unsets).
	env map[string]string
}

func newHarness(t *testing.T, now time.Time, wrap ...func(http.Handler) http.Handler) *harness {
	t.Helper()
	return newHarnessConfig(t, now, nil, wrap...)
}

// newHarnessConfig is newHarness with the API's config changed by set.
func newHarnessConfig(t *testing.T, now time.Time, set func(*api.Config), wrap ...func(http.Handler) http.Handler) *harness {
	t.Helper()
	clock := func() time.Time { return now }
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: st, Now: clock, PublicURL: "http://rooms.test"}
	if set != nil {
		set(&cfg)
	}
	var h http.Handler = api.New(cfg)
	for _, w := range wrap {
		h = w(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); st.Close() })
	return &harness{t: t, url: srv.URL, now: now, state: t.TempDir(), config: t.TempDir()}
}

// run runs rooms with args and returns stdout, stderr and the exit code.
func (h *harness) run(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:  &IOStreams{In: strings.NewReader(h.stdin), Out: &out, ErrOut: &errOut, InTTY: h.tty, OutTTY: h.tty},
		Now: func() time.Time { return h.now },
		Getenv: func(k string) string {
			if v, ok := h.env[k]; ok {
				return v
			}
			return map[string]string{"ROOMS_SERVER": h.url, "TZ": "Europe/Rome"}[k]
		},
		StateDir:  func() (string, error) { return h.state, nil },
		ConfigDir: func() (string, error) { return h.config, nil },
	}
	code := Main(f, args)
	return out.String(), errOut.String(), code
}

func TestCreateSaysWhenUnambiguously(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	tests := []struct {
		name    string
		now     time.Time
		at      string
		want    []string
		notWant string
	}{
		{"19:00 still ahead is today", time.Date(2026, 11, 25, 17, 30, 0, 0, rome), "19:00",
			[]string{"opens today, Wed 25 Nov 19:00 CET (in 1 h 30 min)"}, "already passed"},
		{"19:00 passed is tomorrow, and says so", time.Date(2026, 11, 25, 20, 0, 0, 0, rome), "19:00",
			[]string{"opens tomorrow, Thu 26 Nov 19:00 CET (in 23 h)", "19:00 had already passed today, so the room opens tomorrow."}, ""},
		{"tomorrow across the spring DST change stays 19:00 local", time.Date(2026, 3, 28, 20, 0, 0, 0, rome), "tomorrow 19:00",
			[]string{"opens tomorrow, Sun 29 Mar 19:00 CEST (in 22 h)"}, "already passed"},
		{"a bare time across the autumn DST change", time.Date(2026, 10, 24, 20, 0, 0, 0, rome), "19:00",
			[]string{"opens tomorrow, Sun 25 Oct 19:00 CET (in 24 h)"}, ""},
		{"relative times", time.Date(2026, 11, 25, 17, 30, 0, 0, rome), "in 5m",
			[]string{"opens today, Wed 25 Nov 17:35 CET (in 5 min)"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.now)
			out, errOut, code := h.run("create", "--theme", "aperitivo", "--at", tt.at)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if tt.notWant != "" && strings.Contains(out, tt.notWant) {
				t.Errorf("output has %q:\n%s", tt.notWant, out)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	h := newHarness(t, time.Now())
	out, _, code := h.run("create", "--json")
	if code != 0 {
		t.Fatal("create failed")
	}
	var r apitypes.Room
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		want     int
		wantCode string
	}{
		{"ok", []string{"info", r.ID}, ExitOK, ""},
		{"an unknown command is a usage error", []string{"frobnicate"}, ExitUsage, "usage"},
		{"an unknown flag is a usage error", []string{"list", "--nope"}, ExitUsage, "usage"},
		{"two visibilities are a usage error", []string{"create", "--public", "--private"}, ExitUsage, "usage"},
		{"a bad time is a usage error", []string{"create", "--at", "25:00"}, ExitUsage, "bad_time"},
		{"an unknown theme is a usage error", []string{"create", "--theme", "disco"}, ExitUsage, "unknown_theme"},
		{"a missing room is not found", []string{"info", "aaaaaaaaaaaaaaaaaaaaaaaaaa"}, ExitNotFound, "room_not_found"},
		{"a wrong host key is refused", []string{"lock", r.ID, "--host-key", "rhk_nope"}, ExitRefused, "forbidden"},
		{"an unreachable server", []string{"list", "--server", "http://127.0.0.1:1"}, ExitUnreachable, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := h.run(append(tt.args, "--json")...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.want, errOut)
			}
			if tt.wantCode == "" {
				return
			}
			var e struct {
				Error struct {
					Code     string `json:"code"`
					Message  string `json:"message"`
					ExitCode int    `json:"exit_code"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(errOut), &e); err != nil {
				t.Fatalf("stderr is not a JSON error: %q", errOut)
			}
			if e.Error.Code != tt.wantCode || e.Error.ExitCode != tt.want || e.Error.Message == "" {
				t.Fatalf("JSON error = %+v, want code %q", e.Error, tt.wantCode)
			}
		})
	}
}

func TestExitCodeOfProblems(t *testing.T) {
	for code, want := range map[apitypes.Code]int{
		apitypes.CodeRoomNotFound: ExitNotFound, apitypes.CodeForbidden: ExitRefused, apitypes.CodeUnauthorized: ExitRefused,
		apitypes.CodeRoomEnded: ExitRefused, apitypes.CodeRoomLocked: ExitRefused, apitypes.CodeRoomFull: ExitRefused,
		apitypes.CodeBanned: ExitRefused, apitypes.CodeNotOpenYet: ExitRefused, apitypes.CodeBadTime: ExitUsage,
		apitypes.CodeInvalidArgument: ExitUsage, apitypes.CodeUnknownTheme: ExitUsage, apitypes.CodeRateLimited: ExitFailure,
		apitypes.CodeInternal: ExitFailure,
	} {
		if got := ExitCode(fmt.Errorf("wrapped: %w", &apitypes.Problem{Code: code})); got != want {
			t.Errorf("%s exits %d, want %d", code, got, want)
		}
	}
	if got := ExitCode(fmt.Errorf("x: %w", client.ErrUnreachable)); got != ExitUnreachable {
		t.Errorf("unreachable exits %d", got)
	}
	if got := ExitCode(errors.New("boom")); got != ExitFailure {
		t.Errorf("a plain error exits %d", got)
	}
}

func TestHostKeysKeepEveryConcurrentAdd(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := openHostKeys(dir).Add(hostKeyEntry{Server: "http://s.test", Room: fmt.Sprint(i), HostKey: fmt.Sprint("k", i)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	keys := openHostKeys(dir)
	all, err := keys.List("http://s.test")
	if err != nil || len(all) != 20 {
		t.Fatalf("after 20 concurrent adds: %d keys, %v", len(all), err)
	}
	if k, _, _ := keys.Get("http://s.test", "7"); k != "k7" {
		t.Fatalf("Get = %q", k)
	}
	st, err := os.Stat(keys.Path())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", st.Mode().Perm(), err)
	}
}

func TestDamagedHostKeyFileSaysWhere(t *testing.T) {
	dir := t.TempDir()
	keys := openHostKeys(dir)
	if err := os.WriteFile(keys.Path(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keys.Get("http://s.test", "r"); err == nil || !strings.Contains(err.Error(), keys.Path()) {
		t.Fatalf("Get on a damaged file = %v", err)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second:              "30 s",
		90 * time.Second:              "2 min",
		90 * time.Minute:              "1 h 30 min",
		2 * time.Hour:                 "2 h",
		-2 * time.Hour:                "2 h",
		47*time.Hour + 59*time.Minute: "47 h 59 min",
		5*24*time.Hour + 3*time.Hour:  "5 days",
		23*time.Hour + 59*time.Minute + 40*time.Second: "24 h",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestColourOnlyWhenAsked(t *testing.T) {
	on := &IOStreams{Color: true}
	off := &IOStreams{}
	if got := off.Paint("#ff7a3d", "x"); got != "x" {
		t.Errorf("colour off painted: %q", got)
	}
	if got := on.Paint("#ff7a3d", "x"); got != "\x1b[38;2;255;122;61mx\x1b[0m" {
		t.Errorf("colour on: %q", got)
	}
	if got := on.Paint("nonsense", "x"); got != "x" {
		t.Errorf("a bad colour painted: %q", got)
	}
}

func TestCellWidth(t *testing.T) {
	for s, want := range map[string]int{
		"abc":                        3,
		"🍹 x":                        4,
		"\x1b[38;2;1;2;3m🍹 x\x1b[0m": 4,
		"\x1b[1mbold\x1b[0m":         4,
		"☕":                          2,
		"":                           0,
	} {
		if got := cellWidth(s); got != want {
			t.Errorf("cellWidth(%q) = %d, want %d", s, got, want)
		}
	}
}
