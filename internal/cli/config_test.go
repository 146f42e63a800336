package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// unreachable is a server nothing listens on.
const unreachable = "http://127.0.0.1:1"

// A newcomer sets the server once; every command then uses it with no
// variable set, and --server's help says so.
func TestConfigSetServerOnce(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarness(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome))
	h.env = map[string]string{"ROOMS_SERVER": ""}

	if _, errOut, code := h.run("list"); code != ExitUnreachable || !strings.Contains(errOut, DefaultServer) {
		t.Fatalf("before config: exit %d, %q; want the default server, unreachable", code, errOut)
	}
	if _, errOut, code := h.run("config", "set", "server", h.url+"/"); code != ExitOK {
		t.Fatalf("config set: exit %d: %s", code, errOut)
	}
	path := filepath.Join(h.config, "config.toml")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config file mode %v, want 0600", st.Mode().Perm())
	}

	out, errOut, code := h.run("create", "--name", "standup", "--public", "--at", "19:00", "--json")
	if code != ExitOK {
		t.Fatalf("create: exit %d: %s", code, errOut)
	}
	var r apitypes.Room
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"list"}, {"info", r.ID}, {"link", r.ID}, {"who", r.ID}, {"lock", r.ID}, {"list", "--mine"}} {
		if _, errOut, code := h.run(args...); code != ExitOK {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	out, _, _ = h.run("config", "get", "server")
	if strings.TrimSpace(out) != h.url {
		t.Errorf("config get server = %q, want %q (trailing slash dropped)", out, h.url)
	}
	out, _, _ = h.run("list", "--help")
	if !strings.Contains(out, "now "+h.url+", from "+path) || strings.Contains(out, DefaultServer) {
		t.Errorf("--server help does not show the value in force and its file:\n%s", out)
	}
}

// flag > env > profile > top level > default, for the server and the
// create token; a named profile takes what it leaves out from the top.
func TestConfigProfilesAndPrecedence(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarnessConfig(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome), func(c *api.Config) { c.CreateToken = "rct_right" })
	h.env = map[string]string{"ROOMS_SERVER": ""}
	for _, args := range [][]string{
		{"config", "set", "server", unreachable},
		{"config", "set", "create_token", "rct_right"},
		{"config", "set", "server", h.url, "--profile", "work"},
	} {
		if _, errOut, code := h.run(args...); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"top level", nil, []string{"list"}, ExitUnreachable},
		{"--profile", nil, []string{"list", "--profile", "work"}, ExitOK},
		{"ROOMS_PROFILE", map[string]string{"ROOMS_PROFILE": "work"}, []string{"list"}, ExitOK},
		{"--server beats the profile", nil, []string{"list", "--profile", "work", "--server", unreachable}, ExitUnreachable},
		{"ROOMS_SERVER beats the profile", map[string]string{"ROOMS_SERVER": unreachable}, []string{"list", "--profile", "work"}, ExitUnreachable},
		{"--server beats the top level", nil, []string{"list", "--server", h.url}, ExitOK},
		{"the top level's token in a profile", nil, []string{"create", "--at", "19:00", "--profile", "work"}, ExitOK},
		{"ROOMS_CREATE_TOKEN beats the file", map[string]string{"ROOMS_CREATE_TOKEN": "rct_wrong"}, []string{"create", "--at", "19:00", "--profile", "work"}, ExitRefused},
		{"--create-token beats the environment", map[string]string{"ROOMS_CREATE_TOKEN": "rct_wrong"}, []string{"create", "--at", "19:00", "--profile", "work", "--create-token", "rct_right"}, ExitOK},
		{"unknown profile", nil, []string{"list", "--profile", "home"}, ExitUsage},
		{"bad profile name", nil, []string{"list", "--profile", "../x"}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.env = map[string]string{"ROOMS_SERVER": ""}
			for k, v := range tt.env {
				h.env[k] = v
			}
			_, errOut, code := h.run(tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
		})
	}

	h.env = map[string]string{"ROOMS_SERVER": ""}
	if _, errOut, _ := h.run("list", "--profile", "work"); strings.Contains(errOut, "warning") {
		t.Errorf("a 0600 file warned: %q", errOut)
	}
	path := filepath.Join(h.config, "config.toml")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, _ := h.run("list", "--profile", "work"); !strings.Contains(errOut, "other users can read it; run: chmod 600 "+path) {
		t.Errorf("a token readable by others, no warning: %q", errOut)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, _ := h.run("list", "--profile", "home")
	if !strings.Contains(errOut, `no profile "home"`) || !strings.Contains(errOut, "rooms config set server URL --profile home") {
		t.Errorf("unknown profile: %q", errOut)
	}
	out, _, _ := h.run("config", "list", "--profile", "work")
	if !strings.Contains(out, `profile "work"`) || strings.Contains(out, "rct_right") || !strings.Contains(out, "(set)") {
		t.Errorf("config list shows the token or not where values come from:\n%s", out)
	}
	out, _, _ = h.run("config", "get", "create_token", "--profile", "work")
	if strings.TrimSpace(out) != "rct_right" {
		t.Errorf("config get create_token = %q", out)
	}
	if _, errOut, code := h.run("config", "unset", "server", "--profile", "work"); code != ExitOK {
		t.Fatalf("unset: exit %d: %s", code, errOut)
	}
	if _, _, code := h.run("list", "--profile", "work"); code != ExitUsage {
		t.Errorf("a profile emptied by unset still exists: exit %d", code)
	}
}

// A link names its own server: a profile's server is only the default,
// so a link to another server is not a conflict (ROOMS_SERVER's is).
func TestConfigServerIsOnlyTheDefault(t *testing.T) {
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
	link := h.url + "/r/" + r.ID
	h.env = map[string]string{"ROOMS_SERVER": ""}
	if _, errOut, code := h.run("config", "set", "server", unreachable); code != ExitOK {
		t.Fatal(errOut)
	}
	if _, errOut, code := h.run("info", link); code != ExitOK {
		t.Errorf("a link under a configured server: exit %d: %s", code, errOut)
	}
	if _, errOut, code := h.run("lock", link); code != ExitOK {
		t.Errorf("host key by the link's server: exit %d: %s", code, errOut)
	}
	h.env = map[string]string{"ROOMS_SERVER": unreachable}
	if _, errOut, code := h.run("info", link); code != ExitUsage || !strings.Contains(errOut, "drop one of them") {
		t.Errorf("ROOMS_SERVER against the link: exit %d: %s", code, errOut)
	}
}

func TestConfigBadInput(t *testing.T) {
	h := newHarness(t, time.Now())
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown key", []string{"config", "set", "colour", "x"}, ExitUsage, "unknown key"},
		{"bad server", []string{"config", "set", "server", "ftp://x"}, ExitUsage, "not an http(s) URL"},
		{"empty value", []string{"config", "set", "server", ""}, ExitUsage, "rooms config unset server"},
		{"one argument", []string{"config", "set", "server"}, ExitUsage, "KEY VALUE"},
		{"unknown subcommand", []string{"config", "sett", "server", "x"}, ExitUsage, "use set, get, unset or list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := h.run(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, %q; want %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
	path := filepath.Join(h.config, "config.toml")
	if err := os.WriteFile(path, []byte("server = [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := h.run("list")
	if code != ExitFailure || !strings.Contains(errOut, path) || !strings.Contains(errOut, "fix it or remove it") {
		t.Errorf("broken file: exit %d, %q", code, errOut)
	}
	if err := os.WriteFile(path, []byte("sever = \"http://x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = h.run("list")
	if code != ExitFailure || !strings.Contains(errOut, `unknown key "sever"`) {
		t.Errorf("misspelt key: exit %d, %q", code, errOut)
	}
}
