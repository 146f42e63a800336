//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// imageConfig is the part of `podman image inspect` the test checks.
type imageConfig struct {
	Config struct {
		User       string
		Env        []string
		Entrypoint []string
		Cmd        []string
		Volumes    map[string]struct{}
	}
	// Healthcheck is beside Config in podman's answer (docker format).
	Healthcheck *struct{ Test []string }
}

// TestImage builds roomsd's image with `make image` (podman), exports its
// filesystem, starts roomsd from that tree as the image would run it (its
// user, entrypoint, environment and data volume; chrooted when this test
// runs as root), asks it for health with the image's own healthcheck, and
// has two rooms CLIs create a room on it and see each other in a call.
// podman cannot run containers on this machine (docs/operations.md), so
// this is as close to `podman run` as it gets.
func TestImage(t *testing.T) {
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed (scripts/bootstrap installs it): the image is not built or checked")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	tag := fmt.Sprintf("localhost/roomsd-e2e:%d", os.Getpid())
	name := fmt.Sprintf("roomsd-e2e-%d", os.Getpid())

	run(t, ctx, "make", "-C", "..", "--no-print-directory", "image", "IMAGE="+tag, "IMAGE_CONTEXT="+filepath.Join(dir, "context"))
	t.Cleanup(func() { _ = exec.Command("podman", "rmi", "-f", tag).Run() })

	var inspected []imageConfig
	if err := json.Unmarshal([]byte(run(t, ctx, "podman", "image", "inspect", tag)), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("podman image inspect: %v", err)
	}
	cfg, health := inspected[0].Config, inspected[0].Healthcheck
	if cfg.User != "10001:10001" {
		t.Errorf("image user %q, want the non-root 10001:10001", cfg.User)
	}
	if _, ok := cfg.Volumes["/data"]; !ok {
		t.Errorf("image volumes %v, want /data", cfg.Volumes)
	}
	if health == nil || len(health.Test) < 2 || health.Test[0] != "CMD" {
		t.Fatalf("image healthcheck %+v, want a CMD", health)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/usr/bin/roomsd" || strings.Join(cfg.Cmd, " ") != "serve" {
		t.Errorf("image runs %v %v, want /usr/bin/roomsd serve", cfg.Entrypoint, cfg.Cmd)
	}

	// The image's filesystem, as a container would see it.
	run(t, ctx, "podman", "create", "--name", name, tag)
	t.Cleanup(func() { _ = exec.Command("podman", "rm", "-f", name).Run() })
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	export := exec.CommandContext(ctx, "podman", "export", name)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", root)
	pipe, err := export.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		t.Fatal(err)
	}
	if err := export.Run(); err != nil {
		t.Fatalf("podman export: %v", err)
	}
	if err := untar.Wait(); err != nil {
		t.Fatalf("untar the export: %v", err)
	}
	for _, f := range []struct{ path, holds string }{
		{"etc/passwd", "rooms:x:10001:10001:"},
		{"etc/group", "rooms:x:10001:"},
		{"etc/ssl/certs/ca-certificates.crt", "-----BEGIN CERTIFICATE-----"},
	} {
		b, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil || !bytes.Contains(b, []byte(f.holds)) {
			t.Errorf("/%s in the image: %v; want it to hold %q", f.path, err, f.holds)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "bin", "sh")); err == nil {
		t.Error("the image has /bin/sh: it should be scratch")
	}
	fi, err := os.Stat(filepath.Join(root, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 10001 {
		t.Errorf("/data belongs to uid %d, want 10001 (the image's user must write its volume)", st.Uid)
	}

	// Start it as the image says: entrypoint, command, environment, user.
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	server := "http://" + listen
	env := append(append([]string{}, cfg.Env...), "ROOMSD_LISTEN="+listen, "ROOMSD_UDP_PORT=0")
	inImage := func(args ...string) *exec.Cmd {
		return imageCmd(t, root, env, args...)
	}
	var log bytes.Buffer
	roomsd := inImage(append(cfg.Entrypoint, cfg.Cmd...)...)
	roomsd.Stdout, roomsd.Stderr = &log, &log
	if err := roomsd.Start(); err != nil {
		t.Fatalf("start roomsd from the image's tree: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- roomsd.Wait() }()
	t.Cleanup(func() {
		if roomsd.ProcessState == nil {
			_ = roomsd.Process.Kill()
			<-exited
		}
	})

	// The image's healthcheck, run as the container runtime would.
	healthy := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var out bytes.Buffer
		hc := inImage(health.Test[1:]...)
		hc.Stdout, hc.Stderr = &out, &out
		if hc.Run() == nil && strings.TrimSpace(out.String()) == "ok" {
			healthy = true
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("roomsd from the image exited: %v\n%s", err, log.String())
		default:
		}
	}
	if !healthy {
		t.Fatalf("the image's healthcheck never passed; roomsd said:\n%s", log.String())
	}

	// Join from the CLI: create a room, two people see each other.
	state := t.TempDir()
	rooms := func(who string, args ...string) *exec.Cmd {
		c := exec.CommandContext(ctx, filepath.Join(binDir, "rooms"), args...)
		c.Env = append(os.Environ(), "ROOMS_SERVER="+server, "XDG_STATE_HOME="+filepath.Join(state, who), "NO_COLOR=1", "TZ=UTC")
		return c
	}
	out, err := rooms("host", "create", "--json").Output()
	if err != nil {
		t.Fatalf("rooms create against the image's roomsd: %v", err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(out, &created); err != nil || created.ID == "" {
		t.Fatalf("rooms create printed %q: %v", out, err)
	}
	ann := startJoin(t, rooms("ann", "join", created.ID, "--headless", "--name", "ann", "--video", "testsrc", "--audio", "testsrc", "--json"))
	startJoin(t, rooms("bo", "join", created.ID, "--headless", "--name", "bo", "--video", "testsrc", "--audio", "testsrc", "--json"))
	waitLine(t, ann, regexp.MustCompile(`"kind":"video".*"name":"bo","pattern_ok":true.*"type":"first_frame"`), time.Minute)

	if err := roomsd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("roomsd exited with %v\n%s", err, log.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("roomsd did not stop on SIGTERM")
	}
	if _, err := os.Stat(filepath.Join(root, "data", "rooms.db")); err != nil {
		t.Errorf("the store is not in the /data volume: %v", err)
	}
}

// imageCmd runs args[0] inside the exported tree root: chrooted, as the
// image's user, when this test runs as root; else the binary from the
// tree with /data mapped to the tree's data directory.
func imageCmd(t *testing.T, root string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() == 0 {
		return &exec.Cmd{Path: args[0], Args: args, Env: env, Dir: "/",
			SysProcAttr: &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 10001, Gid: 10001}}}
	}
	mapped := append(append([]string{}, env...), "ROOMSD_DATA_DIR="+filepath.Join(root, "data"), "HOME="+filepath.Join(root, "data"))
	return &exec.Cmd{Path: filepath.Join(root, args[0]), Args: args, Env: mapped}
}

// run runs a command and returns its stdout, failing the test with its
// stderr.
func run(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	c := exec.CommandContext(ctx, name, args...)
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// startJoin starts a headless join and returns its output lines.
func startJoin(t *testing.T, c *exec.Cmd) <-chan string {
	t.Helper()
	pipe, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stderr = io.Discard
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = c.Process.Kill()
		for range lines {
		}
		_ = c.Wait()
	})
	return lines
}

// waitLine waits for a line matching re, failing after limit.
func waitLine(t *testing.T, lines <-chan string, re *regexp.Regexp, limit time.Duration) {
	t.Helper()
	timeout := time.After(limit)
	var seen []string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the join ended before a line matched %s; it said:\n%s", re, strings.Join(seen, "\n"))
			}
			if re.MatchString(l) {
				return
			}
			seen = append(seen, l)
		case <-timeout:
			t.Fatalf("no line matched %s within %s; the join said:\n%s", re, limit, strings.Join(seen, "\n"))
		}
	}
}
