package pgtest_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// fillSQLite writes something into every table of an SQLite store through
// the store API, and says what it wrote.
func fillSQLite(t *testing.T, s *store.SQLite) (roomIDs []string, gone prunedIDs) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
	for i, id := range []string{"r-open", "r-booked", "r-ended"} {
		r := room.Room{ID: id, Name: "Room " + id, Theme: "forest", Visibility: room.Public, Locked: i == 0, Capacity: 10 + i,
			MaxScreenShares: i, State: room.Open, StartsAt: base.Add(time.Duration(i) * time.Hour), TimeZone: "Europe/Rome",
			Duration: 90 * time.Minute, Remind: 15 * time.Minute, HostKeyHash: []byte{0, 1, 0xfe, byte(i)}, CreatedAt: base.Add(-time.Hour)}
		switch id {
		case "r-booked":
			r.State, r.Visibility, r.HostKeyHash = room.Scheduled, room.Private, nil
		case "r-ended":
			r.State, r.EndedAt, r.Duration = room.Ended, base.Add(5*time.Hour), 0
		}
		if err := s.CreateRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
		roomIDs = append(roomIDs, id)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Ban(ctx, "r-open", "key-mallory", "mallory"))
	must(s.AddMember(ctx, "r-open", "key-ann"))
	must(s.AddMember(ctx, "r-ended", "key-bob"))
	must(s.ClaimHandle(ctx, "ann", "key-ann"))
	must(s.ClaimHandle(ctx, "bob", "key-bob"))
	must(s.AddInvites(ctx, "r-booked", []store.Invitee{{Kind: "handle", Address: "ann"}, {Kind: "email", Address: "carol@example.com"}}))
	must(s.AddRoomWebhook(ctx, "r-booked", store.RoomWebhook{URL: "https://hooks.example.com/x", Secret: []byte{1, 2, 3, 0, 255}}))
	must(s.UseNonce(ctx, "key-ann", "nonce-1", base.Add(24*365*time.Hour*10)))
	// Outbox rows: inbox ones delivered (so in the inbox), a webhook one
	// dead, one pending; then the newest inbox row pruned, so SQLite's id
	// counter is past the highest id left.
	var items []store.OutboxItem
	for i, ev := range []string{"e1", "e2", "e3"} {
		items = append(items, store.OutboxItem{EventID: ev, RoomID: "r-booked", Channel: "inbox", Recipient: "ann", Type: "invited",
			Payload: []byte(`{"type":"invited","n":` + string(rune('0'+i)) + `}`)})
	}
	items = append(items,
		store.OutboxItem{EventID: "e1", RoomID: "r-booked", Channel: "webhook", Recipient: "https://hooks.example.com/x", Type: "invited", Payload: []byte(`{"type":"invited"}`)},
		store.OutboxItem{EventID: "e1", RoomID: "r-booked", Channel: "email", Recipient: "carol@example.com", Type: "invited", Payload: []byte(`{"type":"invited"}`)})
	if _, err := s.Enqueue(ctx, items); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.Claim(ctx, "old", time.Now(), time.Minute, 10)
	must(err)
	for _, it := range claimed {
		switch it.Channel {
		case "inbox":
			must(s.Delivered(ctx, it.ID, "old", time.Now()))
		case "webhook":
			must(s.Failed(ctx, it.ID, "old", time.Now(), true, "410 gone"))
		case "email":
			must(s.Failed(ctx, it.ID, "old", time.Now().Add(time.Hour), false, "no mail server"))
		}
	}
	// A room ended long ago, its notification delivered last, then
	// pruned with it: SQLite's id counters are now past every id left.
	oldRoom := room.Room{ID: "r-gone", Name: "gone", Theme: "forest", Visibility: room.Public, State: room.Ended,
		StartsAt: base.Add(-200 * time.Hour), TimeZone: "UTC", EndedAt: base.Add(-100 * time.Hour)}
	must(s.CreateRoom(ctx, oldRoom))
	if _, err := s.Enqueue(ctx, []store.OutboxItem{{EventID: "g1", RoomID: "r-gone", Channel: "inbox", Recipient: "ann", Type: "cancelled", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	claimed, err = s.Claim(ctx, "old", time.Now(), time.Minute, 10)
	must(err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d, want the one new row", len(claimed))
	}
	must(s.Delivered(ctx, claimed[0].ID, "old", time.Now()))
	inbox, err := s.Inbox(ctx, "ann", 0, 100)
	must(err)
	gone = prunedIDs{outbox: claimed[0].ID, inbox: inbox[len(inbox)-1].ID}
	if p, err := s.PruneRooms(ctx, base.Add(-50*time.Hour), 10); err != nil || p["rooms"] != 1 || p["inbox"] != 1 {
		t.Fatalf("prune the old room: %v, %v", p, err)
	}
	return roomIDs, gone
}

// prunedIDs are the ids of the rows pruned last: SQLite gave no higher.
type prunedIDs struct{ outbox, inbox int64 }

// snapshot is everything a store holds that the test wrote, read back
// through the store API.
type snapshot struct {
	Rooms      []room.Room
	Banned     bool
	Members    [2]bool
	Handles    [2]string
	Invites    []store.Invitee
	Webhooks   []store.RoomWebhook
	Deliveries []store.OutboxItem
	Inbox      []store.InboxItem
}

func read(t *testing.T, s store.Store, ids []string) snapshot {
	t.Helper()
	ctx := context.Background()
	var sn snapshot
	var err error
	for _, id := range ids {
		r, err := s.GetRoom(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		sn.Rooms = append(sn.Rooms, r)
	}
	check := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	sn.Banned, err = s.IsBanned(ctx, "r-open", "key-mallory")
	check(err)
	sn.Members[0], err = s.IsMember(ctx, "r-open", "key-ann")
	check(err)
	sn.Members[1], err = s.IsMember(ctx, "r-ended", "key-bob")
	check(err)
	sn.Handles[0], err = s.HandleOf(ctx, "key-ann")
	check(err)
	sn.Handles[1], err = s.HandleOf(ctx, "key-bob")
	check(err)
	sn.Invites, err = s.Invites(ctx, "r-booked")
	check(err)
	sn.Webhooks, err = s.RoomWebhooks(ctx, "r-booked")
	check(err)
	sn.Deliveries, err = s.Deliveries(ctx, "r-booked", 100)
	check(err)
	sn.Inbox, err = s.Inbox(ctx, "ann", 0, 100)
	check(err)
	return sn
}

// TestCopyToPostgres fills an SQLite store through the store API, copies
// it into an empty PostgreSQL database and reads everything back through
// the Postgres store: the same rooms, bans, members, handles, invitees,
// webhooks, deliveries and inbox (same ids), nonces still refused, new ids
// after the old ones; a second copy is refused and changes nothing.
func TestCopyToPostgres(t *testing.T) {
	need(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "rooms.db")
	src, err := store.OpenSQLite(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ids, gone := fillSQLite(t, src)
	want := read(t, src, ids)
	if len(want.Inbox) != 3 || len(want.Deliveries) != 5 {
		t.Fatalf("fixture: %d inbox rows, %d deliveries", len(want.Inbox), len(want.Deliveries))
	}

	url := cluster.NewDatabase(t)
	dst := open(t, url)
	var progress bytes.Buffer
	res, err := store.CopyToPostgres(ctx, src, dst, &progress)
	if err != nil {
		t.Fatal(err)
	}
	// Every table SQLite has was copied, and the fixture filled each one
	// (a table added later must be filled here too, so its copy is tested).
	for _, table := range []string{"rooms", "bans", "members", "handles", "invites", "room_webhooks", "outbox", "inbox", "nonces"} {
		if res.Rows[table] == 0 {
			t.Errorf("table %s: %d rows copied, want some", table, res.Rows[table])
		}
		if !strings.Contains(progress.String(), table) {
			t.Errorf("progress does not name %s:\n%s", table, progress.String())
		}
	}
	for _, table := range res.Tables {
		if res.Rows[table] == 0 {
			t.Errorf("table %s of the SQLite store: no rows in the fixture, so its copy is not tested", table)
		}
	}
	if res.Tables[0] != "rooms" {
		t.Errorf("tables copied in order %v, want rooms first", res.Tables)
	}

	got := read(t, dst, ids)
	if !reflect.DeepEqual(want, got) {
		t.Errorf("read back from PostgreSQL:\n got %+v\nwant %+v", got, want)
	}
	if err := dst.UseNonce(ctx, "key-ann", "nonce-1", time.Now().Add(time.Hour)); !errors.Is(err, store.ErrReplay) {
		t.Errorf("a nonce used before the copy: UseNonce = %v, want ErrReplay", err)
	}
	if err := dst.ClaimHandle(ctx, "ann", "key-other"); !errors.Is(err, store.ErrHandleTaken) {
		t.Errorf("ann's handle after the copy: ClaimHandle = %v, want ErrHandleTaken", err)
	}
	// The pending email delivery is still due, to be retried.
	if due, err := dst.NextDue(ctx); err != nil || due.IsZero() {
		t.Errorf("NextDue = %v, %v; want the pending email's time", due, err)
	}

	// New rows get ids after every id SQLite gave, so an inbox stream's
	// Last-Event-ID keeps its meaning.
	if _, err := dst.Enqueue(ctx, []store.OutboxItem{{EventID: "e9", RoomID: "r-booked", Channel: "inbox", Recipient: "ann", Type: "room_open", Payload: []byte(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	claimed, err := dst.Claim(ctx, "new", time.Now().Add(2*time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range claimed {
		if it.Channel == "inbox" {
			if it.ID <= gone.outbox {
				t.Errorf("new outbox id %d, want after %d (the last SQLite gave)", it.ID, gone.outbox)
			}
			if err := dst.Delivered(ctx, it.ID, "new", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	after, err := dst.Inbox(ctx, "ann", want.Inbox[len(want.Inbox)-1].ID, 10)
	if err != nil || len(after) != 1 {
		t.Fatalf("inbox after the last copied id: %v, %v; want the new row", after, err)
	}
	if after[0].ID <= gone.inbox {
		t.Errorf("new inbox id %d, want after %d (the last SQLite gave)", after[0].ID, gone.inbox)
	}

	// Again: refused, naming the tables, and nothing doubled.
	progress.Reset()
	if _, err := store.CopyToPostgres(ctx, src, dst, &progress); !errors.Is(err, store.ErrTargetNotEmpty) || !strings.Contains(err.Error(), "rooms") {
		t.Fatalf("second copy = %v, want ErrTargetNotEmpty naming rooms", err)
	}
	if rooms, err := dst.CountRooms(ctx); err != nil || rooms[room.Open]+rooms[room.Scheduled]+rooms[room.Ended] != 3 {
		t.Errorf("rooms after a refused copy: %v, %v", rooms, err)
	}
}
