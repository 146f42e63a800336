package cli

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

func TestJQAndTemplate(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	h := newHarness(t, time.Date(2026, 11, 25, 17, 30, 0, 0, rome))
	var rooms []apitypes.Room
	for _, name := range []string{"standup", "retro"} {
		out, errOut, code := h.run("create", "--name", name, "--public", "--at", "19:00", "--json")
		if code != ExitOK {
			t.Fatalf("create: %s", errOut)
		}
		var r apitypes.Room
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, r)
	}
	links := func() string {
		var s []string
		for _, r := range rooms {
			s = append(s, r.Link)
		}
		return strings.Join(s, "\n") + "\n"
	}
	jsonOut, _, _ := h.run("info", rooms[0].ID, "--json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"the issue's example", []string{"list", "--jq", ".[].link"}, ""},
		{"strings raw, no quotes", []string{"info", rooms[0].ID, "--jq", ".name"}, "standup\n"},
		{"numbers as JSON", []string{"info", rooms[0].ID, "--jq", ".max_participants"}, "50\n"},
		{"objects indented, as --json", []string{"info", rooms[0].ID, "--jq", "."}, jsonOut},
		{"objects indented", []string{"info", rooms[0].ID, "--jq", "{name}"}, "{\n  \"name\": \"standup\"\n}\n"},
		{"--jq implies --json", []string{"link", rooms[1].ID, "--jq", ".id"}, rooms[1].ID + "\n"},
		{"template", []string{"info", rooms[1].ID, "--template", "{{.name}} {{.participants}}/{{.max_participants}} {{.visibility}}"}, "retro 0/50 public"},
		{"template join", []string{"themes", "--template", `{{len .}} themes`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := h.run(tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			want := tt.want
			if tt.name == "the issue's example" {
				want = links()
			}
			if tt.name == "template join" {
				if !strings.HasSuffix(out, " themes") {
					t.Errorf("got %q", out)
				}
				return
			}
			if tt.name == "the issue's example" {
				out, want = sortLines(out), sortLines(want)
			}
			if tt.name == "objects indented, as --json" {
				var a, b any
				if json.Unmarshal([]byte(out), &a) != nil || json.Unmarshal([]byte(want), &b) != nil || !reflect.DeepEqual(a, b) || !strings.HasPrefix(out, "{\n  \"") {
					t.Errorf("--jq . is not the --json object, indented:\n%s\nwant\n%s", out, want)
				}
				return
			}
			if out != want {
				t.Errorf("got %q, want %q", out, want)
			}
		})
	}

	bad := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"jq syntax", []string{"list", "--jq", ".[."}, ExitUsage, "--jq"},
		{"template syntax", []string{"list", "--template", "{{.name"}, ExitUsage, "--template"},
		{"both", []string{"list", "--jq", ".", "--template", "x"}, ExitUsage, "pass one of them"},
		{"jq runtime error", []string{"list", "--jq", ".name"}, ExitFailure, "expected an object but got: array"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := h.run(tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, %q; want %d and %q", code, errOut, tt.code, tt.msg)
			}
		})
	}
}

// --jq and --template print what a hostile server sent safely: raw
// strings through safetext.Line, JSON escaped, template data sanitised.
func TestJQAndTemplateHostileServer(t *testing.T) {
	url := hostileServer(t)
	h := &harness{t: t, url: url, now: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), state: t.TempDir()}
	for _, args := range [][]string{
		{"list", "--jq", ".[].name"},
		{"list", "--jq", ".[].invitations"},
		{"list", "--jq", ".[0].name | explode | implode"},
		{"info", evilRoom, "--jq", "[.name, .link] | join(\" \")"},
		{"info", evilRoom, "--jq", "."},
		{"info", evilRoom, "--template", "{{.name}} {{.link}} {{json .theme}} {{range .invitations}}{{.address}}{{end}}"},
		{"who", evilRoom, "--jq", ".[].name"},
		{"inbox", "--jq", ".type"},
		{"join", evilRoom, "--headless", "--duration", "30s", "--jq", "select(.type == \"chat\") | .text"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := h.run(args...)
			assertSafe(t, "stdout", out)
			assertSafe(t, "stderr", errOut)
			if !strings.Contains(out, "Eve") && !strings.Contains(out, "hi") && !strings.Contains(out, "ann") {
				t.Errorf("exit %d, the words are gone: %q %q", code, out, errOut)
			}
		})
	}
}

func sortLines(s string) string {
	l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}
