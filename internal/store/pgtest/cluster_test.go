package pgtest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
)

// Long enough that nothing expires while a test runs, however loaded the
// machine; expiry itself is tested by setting times in the past.
const (
	testStale = time.Hour
	testTTL   = time.Hour
)

func heartbeat(t *testing.T, s *store.Postgres, n store.Node) {
	t.Helper()
	if err := s.Heartbeat(context.Background(), n); err != nil {
		t.Fatal(err)
	}
}

func place(t *testing.T, s *store.Postgres, roomID string) string {
	t.Helper()
	l, err := s.PlaceCall(context.Background(), roomID, testStale, testTTL)
	if err != nil {
		t.Fatalf("place %s: %v", roomID, err)
	}
	return l.Node.ID
}

// TestClusterPlacesOnTheLeastLoadedLiveNode: each new call goes to the
// node with the fewest people in its leased calls (a call just placed
// counts one); a placed call stays put; a draining node and a stale node
// get none; with none left, ErrNoNode.
func TestClusterPlacesOnTheLeastLoadedLiveNode(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	s := open(t, url)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		heartbeat(t, s, store.Node{ID: id, URL: "http://" + id})
	}
	got := []string{place(t, s, "r1"), place(t, s, "r2"), place(t, s, "r3")}
	if got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("three calls on three idle nodes went to %v, want a, b, c", got)
	}
	if again := place(t, s, "r1"); again != "a" {
		t.Fatalf("a placed call moved to %s", again)
	}
	// a's call grows to 5: the next two go to b and c, which have one each.
	if err := s.RenewCalls(ctx, "a", map[string]int{"r1": 5}, testTTL); err != nil {
		t.Fatal(err)
	}
	if n := place(t, s, "r4"); n != "b" {
		t.Fatalf("r4 went to %s, want b (a has 5 people)", n)
	}
	// b drains: it takes nothing new, c does.
	heartbeat(t, s, store.Node{ID: "b", URL: "http://b", Draining: true})
	if n := place(t, s, "r5"); n != "c" {
		t.Fatalf("r5 went to %s, want c (b drains)", n)
	}
	// c goes stale (no heartbeat for a minute): a is the only live one.
	exec(t, url, `UPDATE cluster_nodes SET seen_at = now() - interval '1 minute' WHERE id = 'c'`)
	if n, err := s.PlaceCall(ctx, "r6", 30*time.Second, testTTL); err != nil || n.Node.ID != "a" {
		t.Fatalf("r6 went to %v (%v), want a (b drains, c is stale)", n.Node.ID, err)
	}
	heartbeat(t, s, store.Node{ID: "a", URL: "http://a", Draining: true})
	if _, err := s.PlaceCall(ctx, "r7", 30*time.Second, testTTL); !errors.Is(err, store.ErrNoNode) {
		t.Fatalf("with every node draining or stale, placing said %v, want ErrNoNode", err)
	}
}

// TestClusterLeaseExpiresAndMoves: a lease whose owner stopped renewing
// it (killed) expires, and the call is placed again on a live node; the
// owner's renewal keeps it, and a node's leases of calls it no longer has
// are dropped.
func TestClusterLeaseExpiresAndMoves(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	s := open(t, url)
	ctx := context.Background()
	heartbeat(t, s, store.Node{ID: "a", URL: "http://a"})
	if n := place(t, s, "r1"); n != "a" {
		t.Fatalf("r1 on %s", n)
	}
	heartbeat(t, s, store.Node{ID: "b", URL: "http://b"})
	// a dies: its row and its lease age.
	exec(t, url, `UPDATE cluster_nodes SET seen_at = now() - interval '1 minute' WHERE id = 'a'`)
	exec(t, url, `UPDATE call_leases SET expires_at = now() - interval '1 second', placed_at = now() - interval '1 minute'`)
	if n, err := s.PlaceCall(ctx, "r1", 30*time.Second, testTTL); err != nil || n.Node.ID != "b" {
		t.Fatalf("after a's lease expired r1 went to %v (%v), want b", n.Node.ID, err)
	}
	// ClaimCall by a (back from the dead) does not take b's live lease.
	if l, err := s.ClaimCall(ctx, "r1", "a", testTTL); err != nil || l.Node.ID != "b" {
		t.Fatalf("a claimed b's live lease: %+v, %v", l, err)
	}
	// b renews r1 and has no call r2 it was placed long ago: r2's lease goes.
	heartbeat(t, s, store.Node{ID: "b", URL: "http://b"})
	if n, err := s.PlaceCall(ctx, "r2", 30*time.Second, testTTL); err != nil || n.Node.ID != "b" {
		t.Fatalf("r2 on %v (%v), want b (a is stale)", n.Node.ID, err)
	}
	exec(t, url, `UPDATE call_leases SET placed_at = now() - interval '1 minute' WHERE room_id = 'r2'`)
	if err := s.RenewCalls(ctx, "b", map[string]int{"r1": 2}, time.Minute); err != nil {
		t.Fatal(err)
	}
	ls, err := s.CallLeases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || ls[0].RoomID != "r1" || ls[0].Participants != 2 || ls[0].Node.ID != "b" {
		t.Fatalf("after b renewed r1 alone the leases are %+v", ls)
	}
	if err := s.Deregister(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if ls, _ := s.CallLeases(ctx); len(ls) != 0 {
		t.Fatalf("a node that left still holds %+v", ls)
	}
}

// TestClusterPlacementRaceHasOneWinner: nodes placing the same call at
// once all get the same node.
func TestClusterPlacementRaceHasOneWinner(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	stores := []*store.Postgres{open(t, url), open(t, url), open(t, url)}
	for _, id := range []string{"a", "b", "c"} {
		heartbeat(t, stores[0], store.Node{ID: id, URL: "http://" + id})
	}
	var wg sync.WaitGroup
	got := make([]string, 12)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := stores[i%3].PlaceCall(context.Background(), "race", testStale, testTTL)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = l.Node.ID
		}()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatalf("one call placed on several nodes at once: %v", got)
		}
	}
}

// TestClusterSecretIsMadeOnce: every node reads the same secret, the
// first one's.
func TestClusterSecretIsMadeOnce(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	s1, err := a.ClusterSecret(context.Background(), func() []byte { return []byte("first") })
	if err != nil {
		t.Fatal(err)
	}
	s2, err := b.ClusterSecret(context.Background(), func() []byte { return []byte("second") })
	if err != nil {
		t.Fatal(err)
	}
	if string(s1) != "first" || string(s2) != "first" {
		t.Fatalf("secrets %q and %q, want the first node's for both", s1, s2)
	}
}

// TestClusterNotifyReachesListeners: a notification on a channel reaches
// a listener on another connection (another node).
func TestClusterNotifyReachesListeners(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{}, 1)
	heard := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- b.ClusterListen(ctx, "rooms_test_channel", func() { ready <- struct{}{} }, func(p string) { heard <- p })
	}()
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatal("never listening")
	}
	if err := a.ClusterNotify(ctx, "rooms_test_channel", "changed a r1"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-heard:
		if p != "changed a r1" {
			t.Fatalf("heard %q", p)
		}
	case <-time.After(time.Minute):
		t.Fatal("the notification never arrived")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("listen ended with %v", err)
	}
}
