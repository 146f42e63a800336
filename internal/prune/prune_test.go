package prune

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// fakeClock is the store's clock and the pruner's: the test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// usedRoom stores a room that ended at `ended`, with a member, a ban, an
// invitee and an invitation delivered to the invitee's inbox then.
func usedRoom(t *testing.T, st store.Store, clk *fakeClock, id string, ended time.Time) {
	t.Helper()
	ctx := context.Background()
	clk.Set(ended.Add(-time.Hour))
	r := room.Room{ID: id, Name: id, Theme: "forest", Visibility: room.Public, Capacity: 5, State: room.Open,
		StartsAt: ended.Add(-time.Hour), TimeZone: "UTC"}
	rows := []store.OutboxItem{{EventID: id + ":invited", RoomID: id, Channel: "inbox", Recipient: "ann",
		Type: "invited", Payload: []byte(`{}`)}}
	if err := st.CreateRoomWith(ctx, r, store.Recipients{Invites: []store.Invitee{{Kind: "handle", Address: "ann"}}}, rows); err != nil {
		t.Fatal(err)
	}
	if err := st.AddMember(ctx, id, "k-"+id); err != nil {
		t.Fatal(err)
	}
	if err := st.Ban(ctx, id, "b-"+id, "mallory"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Claim(ctx, "n", clk.Now(), time.Minute, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim: %v, %v", got, err)
	}
	if err := st.Delivered(ctx, got[0].ID, "n", clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Set(ended)
	if _, err := st.UpdateRoom(ctx, id, func(r *room.Room) error { return room.End(r, ended) }); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, st store.Store, id string) bool {
	t.Helper()
	_, err := st.GetRoom(context.Background(), id)
	return err == nil
}

// TestOnceForgetsOldAndKeepsRecent: with 30 days' retention, what ended
// more than 30 days ago goes with all its rows, batch after batch; what
// ended since stays.
func TestOnceForgetsOldAndKeepsRecent(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: t0}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, id := range []string{"old-1", "old-2", "old-3"} {
		usedRoom(t, st, clk, id, t0)
	}
	usedRoom(t, st, clk, "recent", t0.Add(20*day))

	counted := store.Pruned{}
	p, err := New(Config{Store: st, Retain: 30 * day, Now: clk.Now, Batch: 2, Counted: counted.Add})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Once(ctx, t0.Add(31*day))
	if err != nil {
		t.Fatal(err)
	}
	// Three rooms, each with a member, a ban, an invitee, its outbox row
	// and the inbox row delivered from it.
	want := store.Pruned{"rooms": 3, "members": 3, "bans": 3, "invites": 3, "room_webhooks": 0, "outbox": 3, "inbox": 3}
	for table, n := range want {
		if got[table] != n || counted[table] != n {
			t.Errorf("%s: pruned %d, counted %d, want %d", table, got[table], counted[table], n)
		}
	}
	for _, id := range []string{"old-1", "old-2", "old-3"} {
		if exists(t, st, id) {
			t.Errorf("%s is still there 31 days after it ended", id)
		}
	}
	if !exists(t, st, "recent") {
		t.Fatal("a room that ended 11 days ago was pruned")
	}
	if inbox, _ := st.Inbox(ctx, "ann", 0, 10); len(inbox) != 1 {
		t.Fatalf("ann's inbox holds %d rows, want the recent room's 1", len(inbox))
	}

	// Twenty days on, the recent room's time is up too.
	got, err = p.Once(ctx, t0.Add(51*day))
	if err != nil {
		t.Fatal(err)
	}
	if got["rooms"] != 1 || exists(t, st, "recent") {
		t.Fatalf("at +51 days pruned %v and the recent room exists: %v", got, exists(t, st, "recent"))
	}
}

// TestOnceForgetsDoneNotifications: delivered notifications of rooms that
// live on go after the retention; pending ones stay.
func TestOnceForgetsDoneNotifications(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: t0}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	row := func(ev string) store.OutboxItem {
		return store.OutboxItem{EventID: ev, RoomID: "forever", Channel: "inbox", Recipient: "ann", Type: "reminder", Payload: []byte(`{}`)}
	}
	if _, err := st.Enqueue(ctx, []store.OutboxItem{row("done")}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Claim(ctx, "n", t0, time.Minute, 10)
	if len(got) != 1 {
		t.Fatalf("claim: %v", got)
	}
	if err := st.Delivered(ctx, got[0].ID, "n", t0); err != nil {
		t.Fatal(err)
	}
	waiting := row("waiting")
	waiting.NextAttemptAt = t0.Add(100 * day)
	if _, err := st.Enqueue(ctx, []store.OutboxItem{waiting}); err != nil {
		t.Fatal(err)
	}
	p, err := New(Config{Store: st, Retain: 30 * day})
	if err != nil {
		t.Fatal(err)
	}
	pruned, err := p.Once(ctx, t0.Add(29*day))
	if err != nil || pruned.Total() != 0 {
		t.Fatalf("at +29 days pruned %v, %v; want nothing", pruned, err)
	}
	pruned, err = p.Once(ctx, t0.Add(31*day))
	if err != nil || pruned["outbox"] != 1 || pruned["inbox"] != 1 {
		t.Fatalf("at +31 days pruned %v, %v; want the delivered row and its inbox row", pruned, err)
	}
	left, _ := st.Deliveries(ctx, "forever", 10)
	if len(left) != 1 || left[0].EventID != "waiting" {
		t.Fatalf("left: %+v, want the pending row", left)
	}
}

// TestRunPrunesAtStartAndStops: Run prunes once at once, and returns when
// its context ends.
func TestRunPrunesAtStartAndStops(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: t0}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	usedRoom(t, st, clk, "old", t0)
	clk.Set(t0.Add(40 * day))
	first := make(chan store.Pruned, 100)
	p, err := New(Config{Store: st, Retain: 30 * day, Now: clk.Now, Counted: func(n store.Pruned) { first <- n }})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(runCtx); close(done) }()
	if n := <-first; n["rooms"] != 1 {
		t.Fatalf("first batch at start = %v, want the old room", n)
	}
	cancel()
	<-done
}

func TestNewRefusesNoRetention(t *testing.T) {
	if _, err := New(Config{Store: nil, Retain: day}); err == nil {
		t.Error("New without a store succeeded")
	}
	for _, d := range []time.Duration{0, -day} {
		if _, err := New(Config{Store: (*store.SQLite)(nil), Retain: d}); err == nil {
			t.Errorf("New with retention %v succeeded", d)
		}
	}
}
