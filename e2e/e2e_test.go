//go:build e2e

// Package e2e drives the real roomsd and rooms binaries as a user would,
// with testscript files in testdata/: one scenario per file.
package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rooms-dev/rooms/internal/notify"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rooms-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, name := range []string{"roomsd", "rooms"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../cmd/"+name)
		if name == "roomsd" {
			// roomsd never decodes media: it must build without cgo.
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", name, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			port, err := freePort()
			if err != nil {
				return err
			}
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("LISTEN", "127.0.0.1:"+strconv.Itoa(port))
			env.Setenv("SERVER", "http://127.0.0.1:"+strconv.Itoa(port))
			env.Setenv("ROOMS_SERVER", "http://127.0.0.1:"+strconv.Itoa(port))
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/state")
			env.Setenv("TZ", "Europe/Rome")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("ROOMSD_UDP_PORT", "0")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitready":     waitReady,
			"exits":         exits,
			"jsonenv":       jsonEnv,
			"bg":            bgStart,
			"waitout":       waitOut,
			"waitexit":      waitExit,
			"hookserver":    hookServer,
			"checkhooks":    checkHooks,
			"sleep":         sleepCmd,
			"countout":      countOut,
			"smtpsink":      smtpSink,
			"waitmail":      waitMail,
			"xvfb":          xvfbCmd,
			"interrupt":     interruptCmd,
			"hostileserver": hostileServer,
			"checkhostile":  checkHostile,
			"mkcert":        mkcert,
			"servedserial":  servedSerial,
		},
	})
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitready URL polls URL/readyz until it answers 200, for at most 20 s.
func waitReady(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: waitready URL")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := scriptHTTP(ts).Get(args[0] + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s did not become ready in 20 s", args[0])
}

// exits N cmd args... runs cmd and checks its exit code is N; its output
// is kept for stdout/stderr checks.
func exits(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// jsonenv VAR FIELD sets VAR to FIELD of the JSON object on stdout.
func jsonEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsonenv VAR FIELD")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(ts.ReadFile("stdout")), &m); err != nil {
		ts.Fatalf("stdout is not a JSON object: %v", err)
	}
	v, ok := m[args[1]]
	if !ok {
		ts.Fatalf("stdout has no field %q", args[1])
	}
	ts.Setenv(args[0], fmt.Sprint(v))
}

// bg NAME command args... starts a command in the background with its
// output going to $WORK/NAME.out, so waitout can watch it while it runs.
func bgStart(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: bg NAME command [args...]")
	}
	name := args[0]
	out, err := os.Create(ts.MkAbs(name + ".out"))
	ts.Check(err)
	path, err := exec.LookPath(args[1])
	if err != nil {
		// LookPath uses the test's PATH; the script's comes first.
		path = filepath.Join(binDir, args[1])
	}
	cmd := exec.Command(path, args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Stdout, cmd.Stderr = out, out
	env := os.Environ()
	for _, k := range []string{"PATH", "HOME", "XDG_STATE_HOME", "ROOMS_SERVER", "TZ", "NO_COLOR", "ROOMSD_UDP_PORT", "SSL_CERT_FILE"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	cmd.Env = env
	ts.Check(cmd.Start())
	done := make(chan int, 1)
	go func() {
		err := cmd.Wait()
		out.Close()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		done <- code
	}()
	bgProcs.Store(ts.MkAbs(name), &bgProc{cmd: cmd, done: done})
	ts.Defer(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	})
}

type bgProc struct {
	cmd  *exec.Cmd
	done chan int
	code *int
}

var bgProcs sync.Map

// waitout NAME REGEXP waits up to 60 s for a line of NAME's output to match.
func waitOut(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitout NAME REGEXP")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(ts.MkAbs(args[0] + ".out"))
		if re.Match(b) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(ts.MkAbs(args[0] + ".out"))
	ts.Fatalf("no line of %s matched %q in 60 s; its output:\n%s", args[0], args[1], b)
}

// waitexit NAME CODE waits up to 60 s for NAME to exit with CODE.
func waitExit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitexit NAME CODE")
	}
	v, ok := bgProcs.Load(ts.MkAbs(args[0]))
	if !ok {
		ts.Fatalf("no background command %s", args[0])
	}
	p := v.(*bgProc)
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	if p.code == nil {
		select {
		case c := <-p.done:
			p.code = &c
		case <-time.After(60 * time.Second):
			ts.Fatalf("%s did not exit in 60 s", args[0])
		}
	}
	if *p.code != want {
		b, _ := os.ReadFile(ts.MkAbs(args[0] + ".out"))
		ts.Fatalf("%s exited %d, want %d; its output:\n%s", args[0], *p.code, want, b)
	}
}

// hookserver NAME starts a webhook receiver, sets NAME_URL, and records
// each delivery (headers and body) in $WORK/NAME.hooks, one JSON per line.
func hookServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: hookserver NAME")
	}
	path := ts.MkAbs(args[0] + ".hooks")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		rec, _ := json.Marshal(map[string]any{"headers": r.Header, "body": string(body)})
		mu.Lock()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			f.Write(append(rec, '\n'))
			f.Close()
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0]+"_URL", srv.URL+"/hook")
}

// checkhooks NAME SECRET TYPE waits up to 60 s for a delivery of TYPE in
// NAME's receiver, checks every delivery's signature with SECRET, and
// that no message id came twice.
func checkHooks(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: checkhooks NAME SECRET TYPE")
	}
	key, err := notify.ParseSecret(args[1])
	ts.Check(err)
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(ts.MkAbs(args[0] + ".hooks"))
		found := false
		ids := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line == "" {
				continue
			}
			var rec struct {
				Headers http.Header
				Body    string
			}
			ts.Check(json.Unmarshal([]byte(line), &rec))
			if err := notify.Verify(key, rec.Headers, []byte(rec.Body), time.Now()); err != nil {
				ts.Fatalf("a webhook delivery does not verify: %v", err)
			}
			id := rec.Headers.Get("webhook-id")
			if ids[id] {
				ts.Fatalf("webhook message %s was delivered twice", id)
			}
			ids[id] = true
			var n struct{ Type string }
			_ = json.Unmarshal([]byte(rec.Body), &n)
			if n.Type == args[2] {
				found = true
			}
		}
		if found {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no %s webhook in 60 s; got:\n%s", args[2], data)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sleep DURATION waits, for the clock-bound steps of a script.
func sleepCmd(ts *testscript.TestScript, neg bool, args []string) {
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// countout NAME REGEXP N checks NAME's output has exactly N matching lines.
func countOut(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: countout NAME REGEXP N")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	data, _ := os.ReadFile(ts.MkAbs(args[0] + ".out"))
	got := 0
	for _, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			got++
		}
	}
	if got != want {
		ts.Fatalf("%d lines of %s match %q, want %d:\n%s", got, args[0], args[1], want, data)
	}
}

// smtpsink NAME starts a minimal SMTP server that writes each message to
// $WORK/NAME.mail.N, and sets NAME_URL to an --smtp-url for it.
func smtpSink(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	var n atomic.Int32
	dir := ts.MkAbs(".")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(l string) { c.Write([]byte(l + "\r\n")) }
				say("220 sink")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case cmd == "DATA":
						say("354 go")
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil || l == ".\r\n" {
								break
							}
							b.WriteString(l)
						}
						os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s.mail.%d", args[0], n.Add(1))), []byte(b.String()), 0o644)
						say("250 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	ts.Setenv(args[0]+"_URL", "smtp://"+ln.Addr().String()+"?from=rooms@example.com")
}

// waitmail NAME REGEXP waits up to 60 s for a message in NAME's sink that
// matches.
func waitMail(ts *testscript.TestScript, neg bool, args []string) {
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(ts.MkAbs(args[0] + ".mail.*"))
		for _, f := range files {
			if b, _ := os.ReadFile(f); re.Match(b) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	ts.Fatalf("no mail in %s matched %q in 60 s", args[0], args[1])
}
