package daemon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// logWatch is roomsd's stderr, which a test waits on.
type logWatch struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func newLogWatch() *logWatch { return &logWatch{wrote: make(chan struct{}, 1)} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return w.b.Write(p)
}

// wait returns the log from offset from on once it contains sub.
func (w *logWatch) wait(t *testing.T, from int, sub string) string {
	t.Helper()
	for {
		w.mu.Lock()
		text := w.b.String()[from:]
		w.mu.Unlock()
		if strings.Contains(text, sub) {
			return text
		}
		select {
		case <-w.wrote:
		case <-t.Context().Done():
			t.Fatalf("no %q in roomsd's log:\n%s", sub, text)
		}
	}
}

func (w *logWatch) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Len()
}

func isProblem(err error, code api.Code) bool {
	var p *api.Problem
	return errors.As(err, &p) && p.Code == code
}

// TestServeFromAFileAndReloadOnSIGHUP starts a whole roomsd from a config
// file, changes the file and sends SIGHUP: the new create token works,
// the old does not, a setting that needs a restart is named, and a bad
// file is refused with the running configuration kept.
func TestServeFromAFileAndReloadOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, "listen: 127.0.0.1:0\nudp-port: 0\ndata-dir: "+dir+"\ncreate-token: first-token-0123456789\n")
	logs := newLogWatch()
	root := NewCmdRoot(io.Discard, logs)
	root.SetArgs([]string{"serve", "--config", path})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	ready := logs.wait(t, 0, "roomsd ready")
	addr := regexp.MustCompile(`listen=(\S+)`).FindStringSubmatch(ready)[1]
	create := func(tok string) error {
		c, err := client.New("http://"+addr, client.WithCreateToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateRoom(context.Background(), api.CreateRoomRequest{})
		return err
	}
	if err := create("first-token-0123456789"); err != nil {
		t.Fatalf("the file's token: %v", err)
	}

	if err := os.WriteFile(path, []byte("listen: 127.0.0.1:1\nudp-port: 0\ndata-dir: "+dir+"\ncreate-token: second-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	from := logs.len()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	text := logs.wait(t, from, "configuration reloaded")
	if !strings.Contains(text, "changed=[create-token]") {
		t.Errorf("the reload does not name the create token:\n%s", text)
	}
	text = logs.wait(t, from, "key=listen")
	if !strings.Contains(text, "needs a restart") || strings.Contains(text, "second-token") {
		t.Errorf("the reload log:\n%s", text)
	}
	if err := create("first-token-0123456789"); !isProblem(err, api.CodeForbidden) {
		t.Errorf("the old token after SIGHUP: %v, want %s", err, api.CodeForbidden)
	}
	if err := create("second-token-0123456789"); err != nil {
		t.Errorf("the new token after SIGHUP: %v", err)
	}

	if err := os.WriteFile(path, []byte("create-token: third-token-0123456789\ncreate-tokn: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	from = logs.len()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	text = logs.wait(t, from, "configuration not reloaded")
	if !strings.Contains(text, `unknown key \"create-tokn\"`) {
		t.Errorf("the refused reload does not name the key:\n%s", text)
	}
	if err := create("second-token-0123456789"); err != nil {
		t.Errorf("the token in force after a refused reload: %v", err)
	}
}
