//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/store/pgtest"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestTimePlaneKill9 runs two roomsd processes on one PostgreSQL, books a
// room a few seconds ahead with an invitee and a server webhook, and
// kill -9s the node running the scheduler before the room's time: the
// other node takes the scheduler over, the room opens, and the invitee's
// inbox and the webhook are told of the opening once.
func TestTimePlaneKill9(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cluster, err := pgtest.Start(ctx)
	if errors.Is(err, pgtest.ErrNoPostgres) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})
	db := cluster.NewDatabase(t)

	var mu sync.Mutex
	opens := map[string]int{} // webhook-id -> deliveries of room_open
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n api.Notification
		_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&n)
		if n.Type == "room_open" {
			mu.Lock()
			opens[r.Header.Get("webhook-id")]++
			mu.Unlock()
		}
	}))
	defer hooks.Close()
	secret, _ := notify.NewSecret()

	type node struct {
		cmd *exec.Cmd
		url string
		log *bytes.Buffer
	}
	var nodes []*node
	for i := 0; i < 2; i++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		n := &node{url: "http://127.0.0.1:" + strconv.Itoa(port), log: &bytes.Buffer{}}
		n.cmd = exec.Command(filepath.Join(binDir, "roomsd"), "serve", "--listen", "127.0.0.1:"+strconv.Itoa(port), "--udp-port", "0",
			"--data-dir", t.TempDir(), "--db", db, "--webhook", hooks.URL, "--webhook-secret", secret, "--webhook-allow-private")
		n.cmd.Env = append(os.Environ(), "NO_COLOR=1")
		n.cmd.Stdout, n.cmd.Stderr = &syncWriter{b: n.log}, &syncWriter{b: n.log}
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.cmd.Process.Kill(); _ = n.cmd.Wait() })
		nodes = append(nodes, n)
	}
	get := func(url string) (string, error) {
		resp, err := http.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			return "", errors.New(resp.Status)
		}
		return string(b), err
	}
	leads := func(n *node) bool {
		m, err := get(n.url + "/metrics")
		return err == nil && strings.Contains(m, "\nroomsd_scheduler_leader 1")
	}
	// Both ready, and one of them runs the scheduler.
	leader := -1
	for leader < 0 {
		ready := 0
		for i, n := range nodes {
			if _, err := get(n.url + "/readyz"); err == nil {
				ready++
				if leads(n) {
					leader = i
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("nodes not ready, or none runs the scheduler (%d ready)\n%s\n%s", ready, snapshot(nodes[0].log), snapshot(nodes[1].log))
		}
		time.Sleep(100 * time.Millisecond)
	}
	follower := nodes[1-leader]
	if leads(follower) {
		t.Fatal("both nodes run the scheduler")
	}

	_, key, _ := ed25519.GenerateKey(nil)
	ann, err := client.New(follower.url, client.WithKey(key))
	if err != nil {
		t.Fatal(err)
	}
	if err := ann.Login(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(8 * time.Second).Truncate(time.Second)
	rm, err := ann.CreateRoom(ctx, api.CreateRoomRequest{Name: "booked", StartsAt: &at, Invite: []string{"ann"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := nodes[leader].cmd.Process.Kill(); err != nil { // SIGKILL: no goodbye to PostgreSQL
		t.Fatal(err)
	}
	_ = nodes[leader].cmd.Wait()
	if time.Now().After(at) {
		t.Skip("the machine is too slow: the room's time came before the scheduler's node was killed")
	}

	// ann's stream on the surviving node hears the opening.
	sctx, stop := context.WithCancel(ctx)
	opened := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- ann.FollowInbox(sctx, 0, func(n api.Notification) {
			if n.Type == "room_open" {
				once.Do(func() { close(opened) })
			}
		}, nil)
	}()
	select {
	case <-opened:
	case <-ctx.Done():
		t.Fatalf("the room never opened after the scheduler's node was killed\n%s", snapshot(follower.log))
	}
	stop()
	<-done
	if !leads(follower) {
		t.Error("the surviving node does not say it runs the scheduler")
	}
	r, err := ann.GetRoom(ctx, rm.ID)
	if err != nil || r.State != "open" {
		t.Fatalf("room after its time: %+v, %v", r, err)
	}
	all, err := ann.Inbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range all {
		if x.Type == "room_open" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ann's inbox holds %d room_open, want 1", n)
	}
	for {
		mu.Lock()
		ids, total := len(opens), 0
		for _, c := range opens {
			total += c
		}
		mu.Unlock()
		if ids > 0 {
			if ids != 1 || total != 1 {
				t.Errorf("room_open webhooks: %d ids, %d deliveries; want 1, 1", ids, total)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the webhook never heard of the opening")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
