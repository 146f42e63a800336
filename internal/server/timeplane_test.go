package server

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/schedule"
	"github.com/rooms-dev/rooms/internal/store/pgtest"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// testNode is one roomsd of a test cluster.
type testNode struct {
	srv  *Server
	url  string
	stop func()
}

func startTestNode(t *testing.T, cfg Config) *testNode {
	t.Helper()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	var once sync.Once
	n := &testNode{srv: srv, url: "http://" + srv.Addr().String()}
	n.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

// hookSink counts webhook deliveries by notification type and message id.
type hookSink struct {
	mu    sync.Mutex
	byTyp map[string]map[string]int // type -> webhook-id -> times
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n api.Notification
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&n)
	h.mu.Lock()
	if h.byTyp[n.Type] == nil {
		h.byTyp[n.Type] = map[string]int{}
	}
	h.byTyp[n.Type][r.Header.Get("webhook-id")]++
	h.mu.Unlock()
}

func (h *hookSink) count(typ string) (ids, deliveries int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.byTyp[typ] {
		ids++
		deliveries += c
	}
	return ids, deliveries
}

// TestTimePlaneAcrossNodes runs two roomsd on one PostgreSQL. One runs the
// scheduler; an inbox stream open on either node hears a notification
// whichever node delivered it; a room booked a few seconds ahead opens
// once, and its invitee and the server's webhook hear of it once, though
// the node running the scheduler stops before the room's time.
func TestTimePlaneAcrossNodes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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
	sink := &hookSink{byTyp: map[string]map[string]int{}}
	hooks := httptest.NewServer(sink)
	t.Cleanup(hooks.Close)
	secret, _ := notify.NewSecret()
	cfg := Defaults()
	cfg.DB = cluster.NewDatabase(t)
	cfg.Webhooks, cfg.WebhookSecret, cfg.WebhookAllowPrivate = []string{hooks.URL}, secret, true
	nodes := []*testNode{startTestNode(t, cfg), startTestNode(t, cfg)}

	// One node, and only one, runs the scheduler.
	leader := -1
	for leader < 0 {
		n := 0
		for i, nd := range nodes {
			if nd.srv.timePlane.leading.Load() {
				leader, n = i, n+1
			}
		}
		if n > 1 {
			t.Fatal("both nodes run the scheduler")
		}
		if ctx.Err() != nil {
			t.Fatal("no node runs the scheduler")
		}
		time.Sleep(50 * time.Millisecond)
	}
	follower := 1 - leader

	// ann follows her inbox on both nodes.
	_, key, _ := ed25519.GenerateKey(nil)
	type seen struct {
		node int
		n    api.Notification
	}
	got := make(chan seen, 100)
	sctx, stopStreams := context.WithCancel(ctx)
	var streams sync.WaitGroup
	for i, nd := range nodes {
		c, err := client.New(nd.url, client.WithKey(key))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := c.Login(ctx, "ann"); err != nil {
				t.Fatal(err)
			}
		}
		streams.Add(1)
		go func() {
			defer streams.Done()
			_ = c.FollowInbox(sctx, 0, func(n api.Notification) { got <- seen{i, n} }, nil)
		}()
	}
	defer func() { stopStreams(); streams.Wait() }()
	for _, nd := range nodes {
		for nd.srv.timePlane.broker.Streams("ann") == 0 {
			if ctx.Err() != nil {
				t.Fatal("the inbox streams never opened")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	c, err := client.New(nodes[follower].url)
	if err != nil {
		t.Fatal(err)
	}
	// Both streams hear an invitation, whichever node delivered it; the
	// one that did not hears it only through the other (a stream also
	// re-reads every 15 s, its heartbeat: 10 s is well before).
	wait := func(typ string, on map[int]bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for len(on) < len(nodes) {
			select {
			case s := <-got:
				if s.n.Type == typ {
					if on[s.node] {
						t.Fatalf("node %d's stream gave %s twice", s.node, typ)
					}
					on[s.node] = true
				}
			case <-deadline:
				t.Fatalf("%s reached the streams of nodes %v only", typ, on)
			}
		}
	}
	if _, err := c.CreateRoom(ctx, api.CreateRoomRequest{Name: "now", Invite: []string{"ann"}}); err != nil {
		t.Fatal(err)
	}
	wait(schedule.Invited, map[int]bool{})

	// Booked through the follower, a few seconds ahead.
	at := time.Now().Add(8 * time.Second).Truncate(time.Second)
	rm, err := c.CreateRoom(ctx, api.CreateRoomRequest{Name: "booked", StartsAt: &at, Invite: []string{"ann"}})
	if err != nil {
		t.Fatal(err)
	}
	// The scheduler's node stops before the room's time; the other
	// takes over and opens the room.
	if time.Now().After(at) {
		t.Skip("the machine is too slow: the room's time came before the scheduler's node could stop")
	}
	nodes[leader].stop()
	for open := false; !open; {
		select {
		case s := <-got:
			open = s.node == follower && s.n.Type == schedule.RoomOpen
		case <-ctx.Done():
			t.Fatal("the remaining node's stream never heard of the room's opening")
		}
	}
	if !nodes[follower].srv.timePlane.leading.Load() {
		t.Error("the remaining node does not say it runs the scheduler")
	}
	r, err := c.GetRoom(ctx, rm.ID)
	if err != nil || r.State != "open" {
		t.Fatalf("room after its time: %+v, %v", r, err)
	}
	// Once each: ann's inbox holds one invitation and one opening, and
	// the webhook got one delivery (one id, once) of each.
	ann, _ := client.New(nodes[follower].url, client.WithKey(key))
	for {
		ids, n := sink.count(schedule.RoomOpen)
		if ids >= 1 {
			if ids != 1 || n != 1 {
				t.Fatalf("room_open webhooks: %d ids, %d deliveries; want 1, 1", ids, n)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatal("the webhook never heard of the room's opening")
		}
		time.Sleep(50 * time.Millisecond)
	}
	all, err := ann.Inbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, n := range all {
		count[n.Type]++
	}
	if count[schedule.Invited] != 2 || count[schedule.RoomOpen] != 1 {
		t.Errorf("ann's inbox: %v, want two invitations and one opening", count)
	}
	if ids, n := sink.count(schedule.Invited); ids != 2 || n != 2 {
		t.Errorf("invited webhooks: %d ids, %d deliveries; want 2, 2", ids, n)
	}
}
