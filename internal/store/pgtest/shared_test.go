package pgtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rooms-dev/rooms/internal/store"
)

// lockHolders lists the application names of the sessions holding an
// advisory lock in the database at url.
func lockHolders(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

type leadResult struct {
	l   store.Lease
	err error
}

func leadAsync(ctx context.Context, s *store.Postgres, name string) <-chan leadResult {
	ch := make(chan leadResult, 1)
	go func() {
		l, err := s.Lead(ctx, name)
		ch <- leadResult{l, err}
	}()
	return ch
}

// TestLeadOneHolderAndTakeover: of two stores on one database one holds
// the lock; when its session dies (as when its roomsd is killed) its
// lease ends and the other takes the lock; a released lock goes at once.
func TestLeadOneHolderAndTakeover(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	la, err := a.Lead(ctx, "scheduler")
	if err != nil {
		t.Fatal(err)
	}
	waiting := leadAsync(ctx, b, "scheduler")
	// Another name is another lock.
	other, err := b.Lead(ctx, "something-else")
	if err != nil {
		t.Fatal(err)
	}
	other.Release()
	// b keeps trying while a holds it: after several polls it still waits.
	select {
	case r := <-waiting:
		t.Fatalf("a second Lead returned while the first holds the lock: %v", r.err)
	case <-time.After(3 * store.LeadPoll):
	}
	if got := lockHolders(t, url); len(got) != 1 {
		t.Fatalf("lock holders = %q, want one", got)
	}

	// a's session dies: kill its backend, as a roomsd killed with -9
	// drops its connection.
	exec(t, url, `SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
	select {
	case <-la.Context().Done():
	case <-ctx.Done():
		t.Fatal("the lease whose session died did not end")
	}
	var lb store.Lease
	select {
	case r := <-waiting:
		if r.err != nil {
			t.Fatal(r.err)
		}
		lb = r.l
	case <-ctx.Done():
		t.Fatal("the waiting store never took the lock over")
	}
	la.Release() // after the loss: fine, and twice is fine
	la.Release()
	if lb.Context().Err() != nil {
		t.Fatal("the new lease ended at once")
	}
	if got := lockHolders(t, url); len(got) != 1 {
		t.Fatalf("lock holders after takeover = %q, want one", got)
	}

	// Released: a takes it again, and b's lease context has ended.
	lb.Release()
	if lb.Context().Err() == nil {
		t.Error("a released lease's context has not ended")
	}
	la2, err := a.Lead(ctx, "scheduler")
	if err != nil {
		t.Fatal(err)
	}
	la2.Release()

	// A Lead that waits ends with its context.
	hold, err := a.Lead(ctx, "scheduler")
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Release()
	short, stop := context.WithCancel(ctx)
	w := leadAsync(short, b, "scheduler")
	stop()
	if r := <-w; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("Lead with a cancelled context = %v", r.err)
	}
}

// TestListenInboxHearsOtherStores: an inbox delivery made through one
// store wakes a listener on another at once, with the handle.
func TestListenInboxHearsOtherStores(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	listening := make(chan struct{})
	woken := make(chan string, 10)
	done := make(chan error, 1)
	lctx, stop := context.WithCancel(ctx)
	go func() {
		done <- a.ListenInbox(lctx, func() { close(listening) }, func(h string) { woken <- h })
	}()
	<-listening

	if _, err := b.Enqueue(ctx, []store.OutboxItem{
		{EventID: "e1", RoomID: "r", Channel: "inbox", Recipient: "ann", Type: "room_open", Payload: []byte(`{}`)},
		{EventID: "e1", RoomID: "r", Channel: "webhook", Recipient: "http://example.com/", Type: "room_open", Payload: []byte(`{}`)},
	}); err != nil {
		t.Fatal(err)
	}
	items, err := b.Claim(ctx, "node-b", time.Now(), time.Minute, 10)
	if err != nil || len(items) != 2 {
		t.Fatalf("claim = %v, %v", items, err)
	}
	for _, it := range items {
		if err := b.Delivered(ctx, it.ID, "node-b", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case h := <-woken:
		if h != "ann" {
			t.Fatalf("woken for %q, want ann", h)
		}
	case <-ctx.Done():
		t.Fatal("the listener never heard of the inbox delivery")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("ListenInbox after its context ended = %v, want nil", err)
	}
	// Only the inbox row was told of, not the webhook's.
	if len(woken) != 0 {
		t.Errorf("woken %d more times, want once", len(woken))
	}
}
