package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/version"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// TestMain lets a test run this binary as roomsd: with ROOMSD_TEST_MAIN
// set it is roomsd, args and all.
func TestMain(m *testing.M) {
	if os.Getenv("ROOMSD_TEST_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestStateDirectory(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"", ""},
		{"/var/lib/roomsd", "/var/lib/roomsd"},
		{"/var/lib/roomsd:/var/lib/other", "/var/lib/roomsd"},
	} {
		if got := stateDirectory(tc.env); got != tc.want {
			t.Errorf("stateDirectory(%q) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestHealthURL(t *testing.T) {
	for _, tc := range []struct{ listen, want, bad string }{
		{listen: "127.0.0.1:7880", want: "http://127.0.0.1:7880/healthz"},
		{listen: "0.0.0.0:7880", want: "http://127.0.0.1:7880/healthz"},
		{listen: ":7880", want: "http://127.0.0.1:7880/healthz"},
		{listen: "[::]:7880", want: "http://[::1]:7880/healthz"},
		{listen: "rooms.internal:80", want: "http://rooms.internal:80/healthz"},
		{listen: "7880", bad: "give host:port"},
	} {
		got, err := healthURL(tc.listen)
		if tc.bad != "" {
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("healthURL(%q) = %q, %v; want an error saying %q", tc.listen, got, err, tc.bad)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tc.listen, got, err, tc.want)
		}
	}
}

// listenNotify makes the datagram socket a service manager would.
func listenNotify(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// readNotify reads one datagram, or fails after a generous bound.
func readNotify(t *testing.T, conn *net.UnixConn) string {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("read from the notify socket: %v", err)
	}
	return string(buf[:n])
}

func TestSdNotify(t *testing.T) {
	ctx := context.Background()
	t.Run("path", func(t *testing.T) {
		name := filepath.Join(t.TempDir(), "notify")
		conn := listenNotify(t, name)
		if err := sdNotify(ctx, name, notifyReady); err != nil {
			t.Fatal(err)
		}
		if got := readNotify(t, conn); got != "READY=1" {
			t.Fatalf("got %q, want READY=1", got)
		}
	})
	t.Run("abstract", func(t *testing.T) {
		name := "@rooms-test-" + filepath.Base(t.TempDir())
		conn := listenNotify(t, name)
		if err := sdNotify(ctx, name, notifyStopping); err != nil {
			t.Fatal(err)
		}
		if got := readNotify(t, conn); got != "STOPPING=1" {
			t.Fatalf("got %q, want STOPPING=1", got)
		}
	})
	t.Run("unset is a no-op", func(t *testing.T) {
		if err := sdNotify(ctx, "", notifyReady); err != nil {
			t.Fatal(err)
		}
	})
	for _, bad := range []string{"relative/path", filepath.Join(t.TempDir(), "nobody-listens")} {
		if err := sdNotify(ctx, bad, notifyReady); err == nil || !strings.Contains(err.Error(), "tell the service manager READY=1") {
			t.Errorf("sdNotify(%q) = %v, want a clear error", bad, err)
		}
	}
}

// TestRunsAsANotifyService starts roomsd as systemd would start the unit:
// NOTIFY_SOCKET and STATE_DIRECTORY set, no --data-dir. It must say
// READY=1 once it answers, keep its store in the state directory, report
// its build, and say STOPPING=1 on SIGTERM before exiting cleanly.
func TestRunsAsANotifyService(t *testing.T) {
	if testing.Short() {
		t.Skip("starts roomsd")
	}
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	sock := filepath.Join(dir, "notify")
	conn := listenNotify(t, sock)

	cmd := exec.Command(os.Args[0], "serve", "--listen", "127.0.0.1:0", "--udp-port", "0", "--log-format", "json")
	cmd.Env = append(os.Environ(), "ROOMSD_TEST_MAIN=1", "NOTIFY_SOCKET="+sock, "STATE_DIRECTORY="+state, "HOME="+dir, "XDG_STATE_HOME=", "ROOMSD_DATA_DIR=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})

	if got := readNotify(t, conn); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	// The log's "roomsd ready" line names the address it took.
	var addr string
	var logged bytes.Buffer
	sc := bufio.NewScanner(io.TeeReader(stderr, &logged))
	for sc.Scan() {
		var line struct{ Msg, Listen string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "roomsd ready" {
			addr = line.Listen
			break
		}
	}
	if addr == "" {
		t.Fatalf("no ready line in roomsd's log:\n%s", logged.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stderr); exited <- cmd.Wait() }()

	var out bytes.Buffer
	if code := Main([]string{"healthcheck", "--listen", addr}, &out, &out); code != 0 || strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("healthcheck = %d %q", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(state, "rooms.db")); err != nil {
		t.Fatalf("the store is not in $STATE_DIRECTORY: %v", err)
	}
	var info apitypes.ServerInfo
	getJSON(t, "http://"+addr+"/v1/info", &info)
	if info.Version != version.String() || info.SignalProtocol != apitypes.SignalProtocol {
		t.Fatalf("/v1/info = %+v, want version %q and protocol %q", info, version.String(), apitypes.SignalProtocol)
	}
	metrics := get(t, "http://"+addr+"/metrics")
	if want := `rooms_build_info{commit="` + version.Get().Commit + `",go_version="` + version.Get().GoVersion + `",version="` + version.String() + `"} 1`; !strings.Contains(metrics, want) {
		t.Fatalf("/metrics lacks %s", want)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := readNotify(t, conn); got != "STOPPING=1" {
		t.Fatalf("notification after SIGTERM %q, want STOPPING=1", got)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("roomsd exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("roomsd did not exit after SIGTERM")
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, url)), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func TestHealthcheckFailsClearly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var out bytes.Buffer
	code := Main([]string{"healthcheck", "--listen", addr, "--timeout", "5s"}, &out, &out)
	if code != 1 || !strings.Contains(out.String(), "roomsd is not answering at http://"+addr+"/healthz") {
		t.Fatalf("healthcheck of nothing = %d %q", code, out.String())
	}
}

func TestVersion(t *testing.T) {
	i := version.Get()
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--version"}, []string{i.Long("roomsd")}},
		{[]string{"version"}, []string{"roomsd " + i.Version, "commit     " + i.Commit, "built      " + i.Date, i.GoVersion, apitypes.SignalProtocol}},
		{[]string{"version", "--json"}, []string{`"version": "` + i.Version + `"`, `"commit": "` + i.Commit + `"`, `"go_version": "` + i.GoVersion + `"`, `"signal_protocol": "` + apitypes.SignalProtocol + `"`}},
	} {
		var out bytes.Buffer
		if code := Main(tc.args, &out, &out); code != 0 {
			t.Fatalf("roomsd %v = %d: %s", tc.args, code, out.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("roomsd %v printed %q, missing %q", tc.args, out.String(), w)
			}
		}
	}
}
