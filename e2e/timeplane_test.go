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
	"regexp"
	"strconv"
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
// leaderLine is the scheduler-leader gauge at 1, with labels or without.
var leaderLine = regexp.MustCompile(`(?m)^rooms_scheduler_leader(\{[^}]*\})? 1$`)

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

	var nodes []*roomsdNode
	for i := 0; i < 2; i++ {
		nodes = append(nodes, startRoomsd(t, "--db", db, "--webhook", hooks.URL, "--webhook-secret", secret, "--webhook-allow-private"))
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
	leads := func(n *roomsdNode) bool {
		m, err := get(n.url + "/metrics")
		// Every sample carries its node's label on a node of a cluster.
		return err == nil && leaderLine.MatchString(m)
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

// roomsdNode is a roomsd process on a loopback port.
type roomsdNode struct {
	cmd *exec.Cmd
	url string
	log *bytes.Buffer
}

// startRoomsd starts roomsd serve on a free loopback port with its own
// data directory and args; it is killed when the test ends.
func startRoomsd(t *testing.T, args ...string) *roomsdNode {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	n := &roomsdNode{url: "http://127.0.0.1:" + strconv.Itoa(port), log: &bytes.Buffer{}}
	n.cmd = exec.Command(filepath.Join(binDir, "roomsd"), append([]string{"serve", "--listen", "127.0.0.1:" + strconv.Itoa(port), "--udp-port", "0",
		"--data-dir", t.TempDir()}, args...)...)
	n.cmd.Env = append(os.Environ(), "NO_COLOR=1")
	n.cmd.Stdout, n.cmd.Stderr = &syncWriter{b: n.log}, &syncWriter{b: n.log}
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.cmd.Process.Kill(); _ = n.cmd.Wait() })
	return n
}

// waitReadyURL waits for a roomsd's /readyz.
func waitReadyURL(t *testing.T, n *roomsdNode) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(n.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready in 60 s\n%s", n.url, snapshot(n.log))
}

// TestLoadtestNodes runs rooms loadtest and rooms loadtest api over two
// roomsd: rooms and requests go round-robin, and the report has each
// node's part (no timing is asserted).
func TestLoadtestNodes(t *testing.T) {
	limits := []string{"--rate", "100000", "--rate-burst", "100000", "--create-rate", "1000000", "--create-burst", "100000"}
	a, b := startRoomsd(t, limits...), startRoomsd(t, limits...)
	waitReadyURL(t, a)
	waitReadyURL(t, b)
	nodes := a.url + "," + b.url
	rooms := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(filepath.Join(binDir, "rooms"), args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "XDG_STATE_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("rooms %v: %v\n%s", args, err, ee.Stderr)
			}
			t.Fatal(err)
		}
		return out
	}

	var media struct {
		Joined int `json:"joined"`
		Nodes  []struct {
			URL          string `json:"url"`
			Rooms        int    `json:"rooms"`
			Joined       int    `json:"joined"`
			FirstFrameMS struct {
				N int `json:"n"`
			} `json:"first_frame_ms"`
			Server struct {
				RSSMB float64 `json:"rss_mb"`
			} `json:"server"`
		} `json:"nodes"`
	}
	out := rooms("loadtest", "--nodes", nodes, "--rooms", "2", "--publishers", "2", "--duration", "2s", "--video-layout", "speaker", "--json")
	if err := json.Unmarshal(out, &media); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if media.Joined != 4 || len(media.Nodes) != 2 {
		t.Fatalf("loadtest over two nodes: %s", out)
	}
	for i, n := range media.Nodes {
		if n.URL != []string{a.url, b.url}[i] || n.Rooms != 1 || n.Joined != 2 || n.FirstFrameMS.N != 2 || n.Server.RSSMB <= 0 {
			t.Errorf("node %d's part: %+v", i, n)
		}
	}

	var api struct {
		Creates struct {
			OK int `json:"ok"`
		} `json:"creates"`
		Gets struct {
			OK     int            `json:"ok"`
			Failed map[string]int `json:"failed"`
		} `json:"gets"`
		Nodes []struct {
			URL     string `json:"url"`
			Creates struct {
				OK int `json:"ok"`
			} `json:"creates"`
			Gets struct {
				OK int `json:"ok"`
			} `json:"gets"`
		} `json:"nodes"`
	}
	out = rooms("loadtest", "api", "--nodes", nodes, "--creates", "20", "--gets", "40", "--concurrency", "4", "--json")
	if err := json.Unmarshal(out, &api); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Each node made 10 rooms; reads ask each node for rooms the other
	// made: on separate stores (SQLite each), those are not found.
	if api.Creates.OK != 20 || len(api.Nodes) != 2 || api.Nodes[0].Creates.OK != 10 || api.Nodes[1].Creates.OK != 10 {
		t.Fatalf("loadtest api over two nodes: %s", out)
	}
	if api.Gets.OK != 0 || api.Gets.Failed["404"] != 40 {
		t.Errorf("gets: %s", out)
	}
}
