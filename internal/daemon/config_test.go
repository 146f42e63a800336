package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/rooms-dev/rooms/internal/server"
)

// loadWith loads as roomsd serve would with args on its command line and
// env as its variables.
func loadWith(t *testing.T, args []string, env map[string]string) (*loaded, error) {
	t.Helper()
	cfg := server.Defaults()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	serveFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return load(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "roomsd.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigPrecedence(t *testing.T) {
	const file = "testdata/roomsd.yaml"
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, ld *loaded)
	}{
		{"defaults without a file", nil, nil, func(t *testing.T, ld *loaded) {
			if ld.cfg.Listen != server.DefaultListen || ld.cfg.Rate != server.Defaults().Rate || ld.path != "" {
				t.Errorf("got listen %q rate %+v path %q", ld.cfg.Listen, ld.cfg.Rate, ld.path)
			}
		}},
		{"the file over the defaults", []string{"--config", file}, nil, func(t *testing.T, ld *loaded) {
			c := ld.cfg
			if c.Listen != "127.0.0.1:7999" || c.PublicURL != "https://rooms.example.com" || c.CreateToken != "from-the-file-0123456789" ||
				c.Rate.PerSecond != 5 || c.Retain != 7*24*time.Hour || c.LogLevel != "debug" {
				t.Errorf("got %+v", c)
			}
			if !slices.Equal(c.Webhooks, []string{"https://hooks.example.com/a", "https://hooks.example.com/b"}) {
				t.Errorf("webhooks %q", c.Webhooks)
			}
			if c.Rate.Burst != server.Defaults().Rate.Burst {
				t.Errorf("rate-burst, not in the file, is %d", c.Rate.Burst)
			}
			if got := ld.from["listen"]; got != file+":2" {
				t.Errorf("listen from %q, want %s:2", got, file)
			}
		}},
		{"ROOMSD_CONFIG names the file", nil, map[string]string{"ROOMSD_CONFIG": file}, func(t *testing.T, ld *loaded) {
			if ld.cfg.Listen != "127.0.0.1:7999" || ld.path != file {
				t.Errorf("listen %q path %q", ld.cfg.Listen, ld.path)
			}
		}},
		{"a variable over the file", []string{"--config", file}, map[string]string{"ROOMSD_LISTEN": "127.0.0.1:8001", "ROOMSD_WEBHOOK": "https://env.example.com/x,https://env.example.com/y"}, func(t *testing.T, ld *loaded) {
			if ld.cfg.Listen != "127.0.0.1:8001" || ld.from["listen"] != "ROOMSD_LISTEN" {
				t.Errorf("listen %q from %q", ld.cfg.Listen, ld.from["listen"])
			}
			if !slices.Equal(ld.cfg.Webhooks, []string{"https://env.example.com/x", "https://env.example.com/y"}) {
				t.Errorf("webhooks %q", ld.cfg.Webhooks)
			}
			if ld.cfg.CreateToken != "from-the-file-0123456789" {
				t.Errorf("create token %q, want the file's", ld.cfg.CreateToken)
			}
		}},
		{"a flag over the variable and the file", []string{"--config", file, "--listen", "127.0.0.1:8002", "--webhook", "https://flag.example.com/z"}, map[string]string{"ROOMSD_LISTEN": "127.0.0.1:8001"}, func(t *testing.T, ld *loaded) {
			if ld.cfg.Listen != "127.0.0.1:8002" || ld.from["listen"] != "--listen" {
				t.Errorf("listen %q from %q", ld.cfg.Listen, ld.from["listen"])
			}
			if !slices.Equal(ld.cfg.Webhooks, []string{"https://flag.example.com/z"}) {
				t.Errorf("webhooks %q", ld.cfg.Webhooks)
			}
		}},
		{"--config over ROOMSD_CONFIG", []string{"--config", file}, map[string]string{"ROOMSD_CONFIG": "/nonexistent.yaml"}, func(t *testing.T, ld *loaded) {
			if ld.path != file {
				t.Errorf("path %q", ld.path)
			}
		}},
		{"an empty file", []string{"--config", "testdata/empty.yaml"}, nil, func(t *testing.T, ld *loaded) {
			if ld.cfg.Listen != server.DefaultListen {
				t.Errorf("listen %q", ld.cfg.Listen)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ld, err := loadWith(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, ld)
		})
	}
}

func TestConfigFileErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // every one in the error
	}{
		{"an unknown key names itself and its line", "listen: 127.0.0.1:7880\npublic-ulr: x\n", []string{":2: unknown key \"public-ulr\"", `did you mean "public-url"`}},
		{"underscores are not dashes", "create_token: x\n", []string{":1: unknown key \"create_token\"", `did you mean "create-token"`}},
		{"the file cannot name another", "config: other.yaml\n", []string{":1: unknown key \"config\""}},
		{"a bad number", "\n\nrate: fast\n", []string{":3: rate:", "fast"}},
		{"a bad retention", "retain: soon\n", []string{":1: retain:"}},
		{"a list for one value", "listen:\n  - a\n  - b\n", []string{":1: listen: takes one value, not a list"}},
		{"a mapping", "listen:\n  host: x\n", []string{":1: listen: want a value"}},
		{"no value", "public-url:\n", []string{":1: public-url: no value"}},
		{"twice", "rate: 1\nrate: 2\n", []string{":2:", `"rate" is set twice (first on line 1)`}},
		{"not a mapping", "- listen\n", []string{":1: want settings as key: value lines"}},
		{"not YAML", "listen: [\n", []string{"not YAML", "line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.text)
			_, err := loadWith(t, []string{"--config", path}, nil)
			if err == nil {
				t.Fatalf("loaded %q without an error", tt.text)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := loadWith(t, []string{"--config", "testdata/missing.yaml"}, nil); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestConfigCheck(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err []string
	}{
		{"a good file is printed, secrets masked", []string{"config", "check", "--config", "testdata/roomsd.yaml", "--smtp-url", "smtp://ann:hunter2@mail.example.com:587?from=rooms@example.com"}, 0,
			[]string{`listen: "127.0.0.1:7999"  # testdata/roomsd.yaml:2`, `create-token: "********"  # testdata/roomsd.yaml:4`,
				`webhook: ["https://hooks.example.com/a", "https://hooks.example.com/b"]  # testdata/roomsd.yaml:5`,
				`rate: 5  # testdata/roomsd.yaml:8`, `rate-burst: 60  # default`, `db: "`, `ann:xxxxx@mail.example.com`}, nil},
		{"an unknown key", []string{"config", "check", "--config", "testdata/unknown.yaml"}, 2, nil,
			[]string{"roomsd: the configuration is refused: testdata/unknown.yaml:3: unknown key \"max-participant\"", `did you mean "max-participants"`}},
		{"a value Resolve refuses", []string{"config", "check", "--max-participants", "0"}, 2, nil, []string{"--max-participants must be between 1 and 1000"}},
		{"a short webhook secret", []string{"config", "check", "--webhook", "https://h.example.com", "--webhook-secret", "short"}, 2, nil, []string{"--webhook-secret"}},
		{"a bad log level", []string{"config", "check", "--log-level", "loud"}, 2, nil, []string{"--log-level \"loud\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_STATE_HOME", t.TempDir())
			var out, errb bytes.Buffer
			if code := Main(tt.args, &out, &errb); code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errb.String())
			}
			for _, w := range tt.out {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			for _, w := range tt.err {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			for _, secret := range []string{"from-the-file-0123456789", "hunter2"} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("stdout shows the secret %q", secret)
				}
			}
		})
	}
}

// TestConfigExampleIsAValidFileOfEveryKey uncomments every setting of the
// example and loads it: each flag is a key, at its default.
func TestConfigExampleIsAValidFileOfEveryKey(t *testing.T) {
	var out bytes.Buffer
	if code := Main([]string{"config", "example"}, &out, &out); code != 0 {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "#") && strings.Contains(l, ": ") && !strings.HasPrefix(l, "# ") {
			l = strings.TrimPrefix(l, "#")
		}
		lines = append(lines, l)
	}
	ld, err := loadWith(t, []string{"--config", writeFile(t, strings.Join(lines, "\n"))}, nil)
	if err != nil {
		t.Fatalf("the uncommented example: %v\n%s", err, strings.Join(lines, "\n"))
	}
	ld.fs.VisitAll(func(f *pflag.Flag) {
		if _, ok := ld.from[f.Name]; !ok && f.Name != configFlag {
			t.Errorf("the example has no key %q", f.Name)
		}
	})
	want := server.Defaults()
	if got := ld.cfg; got.Listen != want.Listen || got.Rate != want.Rate || got.Calls != want.Calls || got.Retain != want.Retain || got.LogLevel != want.LogLevel {
		t.Errorf("the example's values are not the defaults: %+v", got)
	}
}
