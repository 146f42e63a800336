package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/version"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// otherProtocol answers /v1/info as a roomsd of another signalling
// protocol would; everything else goes to the real API.
func otherProtocol(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/info" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(apitypes.ServerInfo{Version: "v9.0.0", SignalProtocol: "rooms.v9"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestVersion(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	i := version.Get()
	same := newHarness(t, now)
	other := newHarness(t, now, otherProtocol)
	for _, tc := range []struct {
		name       string
		h          *harness
		args       []string
		want       []string
		wantErr    string
		notWantErr string
	}{
		{"--version is one line", same, []string{"--version"}, []string{i.Long("rooms")}, "", "warning"},
		{"the build and the server's version", same, []string{"version"},
			[]string{"rooms " + i.Version, "commit     " + i.Commit, "built      " + i.Date, i.GoVersion, "signalling " + apitypes.SignalProtocol,
				"server " + same.url + ": roomsd ", "(signalling " + apitypes.SignalProtocol + ")"}, "", "warning"},
		{"another protocol is warned about", other, []string{"version"}, []string{"server " + other.url + ": roomsd v9.0.0 (signalling rooms.v9)"},
			"warning: roomsd at " + other.url + " speaks signalling protocol rooms.v9 and this rooms speaks " + apitypes.SignalProtocol, ""},
		{"no server is not an error", same, []string{"version", "--server", "http://127.0.0.1:1"},
			[]string{"rooms " + i.Version, "server http://127.0.0.1:1: no answer"}, "", "warning"},
		{"json", other, []string{"version", "--json"},
			[]string{`"version": "` + i.Version + `"`, `"commit": "` + i.Commit + `"`, `"go_version": "` + i.GoVersion + `"`,
				`"signal_protocol": "` + apitypes.SignalProtocol + `"`, `"url": "` + other.url + `"`, `"signal_protocol": "rooms.v9"`}, "warning", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := tc.h.run(tc.args...)
			if code != ExitOK {
				t.Fatalf("rooms %v = %d, stderr %q", tc.args, code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout %q lacks %q", out, w)
				}
			}
			if tc.wantErr != "" && !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.wantErr)
			}
			if tc.notWantErr != "" && strings.Contains(errOut, tc.notWantErr) {
				t.Errorf("stderr %q has %q", errOut, tc.notWantErr)
			}
		})
	}
}

// A server's words reach the terminal as text, never as escape codes.
func TestVersionEscapesTheServer(t *testing.T) {
	hostile := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(apitypes.ServerInfo{Version: "v1\x1b]0;pwned\x07\x1b[2J", SignalProtocol: "rooms.v1\x1b[31m"})
		})
	}
	h := newHarness(t, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), hostile)
	out, errOut, code := h.run("version")
	if code != ExitOK || strings.ContainsRune(out+errOut, 0x1b) || strings.ContainsRune(out+errOut, 0x07) {
		t.Fatalf("rooms version = %d, printed %q %q", code, out, errOut)
	}
}
