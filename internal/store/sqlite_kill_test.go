package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// helperEnv, when set to a database path, turns the test binary into the
// process TestSQLiteSurvivesKill kills.
const helperEnv = "ROOMS_STORE_KILL_HELPER"

func TestMain(m *testing.M) {
	if path := os.Getenv(helperEnv); path != "" {
		killHelper(path)
		return
	}
	os.Exit(m.Run())
}

// killHelper writes a room, says "ok" and waits to be killed. It does not
// close the store: the point is that nothing after the commit is needed.
func killHelper(path string) {
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, path, store.Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	if err := s.CreateRoom(ctx, testRoom("survivor")); err != nil {
		fmt.Println("create:", err)
		os.Exit(1)
	}
	_, err = s.UpdateRoom(ctx, "survivor", func(r *room.Room) error {
		r.Name = "updated before the kill"
		return nil
	})
	if err != nil {
		fmt.Println("update:", err)
		os.Exit(1)
	}
	fmt.Println("ok")
	for {
		time.Sleep(time.Hour)
	}
}

func TestSQLiteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	path := filepath.Join(t.TempDir(), "rooms.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		line <- sc.Text()
	}()
	select {
	case l := <-line:
		if l != "ok" {
			t.Fatalf("helper said %q, want ok", l)
		}
	case <-time.After(time.Minute):
		t.Fatal("helper did not say ok within a minute")
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	killed = true
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("helper did not die of SIGKILL: %v", err)
	}

	// The kernel dropped the helper's lock, and the room is there.
	r, err := openAt(t, path, store.Options{}).GetRoom(t.Context(), "survivor")
	if err != nil {
		t.Fatalf("GetRoom after kill -9: %v", err)
	}
	if r.Name != "updated before the kill" {
		t.Errorf("Name after kill -9 = %q, want the update", r.Name)
	}
}
