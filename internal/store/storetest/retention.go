package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// retentionTests are the conformance tests of store.Retention.
var retentionTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"PruneRoomsOldGoRecentStay", testPruneRooms},
	{"PruneRoomsInBatches", testPruneRoomsBatches},
	{"PruneOutboxDoneRowsOnly", testPruneOutbox},
	{"PruneInbox", testPruneInbox},
}

const day = 24 * time.Hour

// withTrail gives a room a member, a ban, an invitee, a webhook and a
// notification delivered to an inbox, as a room that was used has.
func withTrail(t *testing.T, s store.Store, r room.Room, deliveredAt time.Time) {
	t.Helper()
	ctx := context.Background()
	rc := store.Recipients{
		Invites:  []store.Invitee{{Kind: "handle", Address: "ann-" + r.ID}},
		Webhooks: []store.RoomWebhook{{URL: "https://hooks.example.com/" + r.ID, Secret: []byte("s")}},
	}
	rows := []store.OutboxItem{{EventID: r.ID + ":invited", RoomID: r.ID, Channel: "inbox", Recipient: "ann-" + r.ID,
		Type: "invited", Payload: []byte(`{}`), NextAttemptAt: deliveredAt}}
	if err := s.CreateRoomWith(ctx, r, rc, rows); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, r.ID, "member-"+r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Ban(ctx, r.ID, "banned-"+r.ID, "mallory"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, "n", deliveredAt, time.Minute, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim the invitation of %s: %v, %v", r.ID, got, err)
	}
	if err := s.Delivered(ctx, got[0].ID, "n", deliveredAt); err != nil {
		t.Fatal(err)
	}
}

// trail says what is left of a room's rows.
func trail(t *testing.T, s store.Store, id string) (rows int) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.GetRoom(ctx, id); err == nil {
		rows++
	}
	if ok, _ := s.IsMember(ctx, id, "member-"+id); ok {
		rows++
	}
	if ok, _ := s.IsBanned(ctx, id, "banned-"+id); ok {
		rows++
	}
	ivs, _ := s.Invites(ctx, id)
	hooks, _ := s.RoomWebhooks(ctx, id)
	ds, _ := s.Deliveries(ctx, id, 10)
	inbox, _ := s.Inbox(ctx, "ann-"+id, 0, 10)
	return rows + len(ivs) + len(hooks) + len(ds) + len(inbox)
}

func testPruneRooms(t *testing.T, s store.Store) {
	ctx := context.Background()
	cutoff := base.Add(-30 * day)
	ended := func(id string, at time.Time) room.Room {
		r := sample(id)
		r.State, r.StartsAt, r.Duration, r.EndedAt = room.Ended, at.Add(-time.Hour), 0, at
		return r
	}
	expired := func(id string, start time.Time) room.Room {
		r := sample(id)
		r.State, r.StartsAt, r.Duration, r.EndedAt = room.Open, start, time.Hour, time.Time{}
		return r
	}
	forever := sample("prune-forever")
	forever.State, forever.StartsAt, forever.Duration, forever.EndedAt = room.Open, base.Add(-100*day), 0, time.Time{}
	booked := sample("prune-booked")
	booked.EndedAt = time.Time{}

	gone := []room.Room{ended("prune-old-ended", cutoff.Add(-time.Minute)), expired("prune-old-expired", cutoff.Add(-2*time.Hour))}
	stay := []room.Room{
		ended("prune-new-ended", cutoff.Add(time.Minute)),
		expired("prune-new-expired", cutoff.Add(-30*time.Minute)), // ran out after the cutoff
		forever, booked,
	}
	for _, r := range append(append([]room.Room{}, gone...), stay...) {
		withTrail(t, s, r, base.Add(-40*day))
	}
	const perRoom = 7 // room, member, ban, invitee, webhook, outbox row, inbox row
	for _, r := range append(append([]room.Room{}, gone...), stay...) {
		if n := trail(t, s, r.ID); n != perRoom {
			t.Fatalf("%s has %d rows before pruning, want %d", r.ID, n, perRoom)
		}
	}

	got, err := s.PruneRooms(ctx, cutoff, 100)
	if err != nil {
		t.Fatalf("PruneRooms: %v", err)
	}
	want := store.Pruned{"rooms": 2, "members": 2, "bans": 2, "invites": 2, "room_webhooks": 2, "outbox": 2, "inbox": 2}
	for table, n := range want {
		if got[table] != n {
			t.Errorf("pruned %d rows of %s, want %d (all: %v)", got[table], table, n, got)
		}
	}
	for _, r := range gone {
		if n := trail(t, s, r.ID); n != 0 {
			t.Errorf("%s keeps %d rows after pruning", r.ID, n)
		}
	}
	for _, r := range stay {
		if n := trail(t, s, r.ID); n != perRoom {
			t.Errorf("%s has %d rows after pruning, want all %d", r.ID, n, perRoom)
		}
	}
	if again, err := s.PruneRooms(ctx, cutoff, 100); err != nil || again.Total() != 0 {
		t.Fatalf("pruning again = %v, %v; want nothing", again, err)
	}
}

func testPruneRoomsBatches(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		r := sample("prune-batch-" + string(rune('a'+i)))
		r.State, r.EndedAt = room.Ended, base.Add(-40*day)
		mustCreate(t, s, r)
	}
	for i, want := range []int{2, 2, 1, 0} {
		got, err := s.PruneRooms(ctx, base.Add(-30*day), 2)
		if err != nil {
			t.Fatal(err)
		}
		if got["rooms"] != want {
			t.Fatalf("batch %d pruned %d rooms, want %d", i, got["rooms"], want)
		}
	}
}

func testPruneOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	// The store stamps rows with its own clock, so the cutoffs here are
	// around the real time.
	now := time.Now()
	for _, ev := range []string{"delivered", "dead", "pending"} {
		it := item("prune-"+ev, "ann")
		it.NextAttemptAt = base
		if _, err := s.Enqueue(ctx, []store.OutboxItem{it}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Claim(ctx, "n", base, time.Minute, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	for _, it := range got {
		switch it.EventID {
		case "prune-delivered":
			err = s.Delivered(ctx, it.ID, "n", base)
		case "prune-dead":
			err = s.Failed(ctx, it.ID, "n", base, true, "gave up")
		case "prune-pending":
			err = s.Failed(ctx, it.ID, "n", base.Add(time.Hour), false, "try later")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneOutbox(ctx, now.Add(-time.Hour), 100); err != nil || n != 0 {
		t.Fatalf("pruning rows made after the cutoff = %d, %v; want none", n, err)
	}
	if n, err := s.PruneOutbox(ctx, now.Add(time.Hour), 1); err != nil || n != 1 {
		t.Fatalf("pruning with a limit of 1 = %d, %v", n, err)
	}
	if n, err := s.PruneOutbox(ctx, now.Add(time.Hour), 100); err != nil || n != 1 {
		t.Fatalf("pruning the rest = %d, %v; want the other done row", n, err)
	}
	left, _ := s.Deliveries(ctx, "r1", 10)
	if len(left) != 1 || left[0].State != store.OutboxPending {
		t.Fatalf("left after pruning: %+v, want only the pending row", left)
	}
	// The inbox keeps what was delivered: it has its own retention.
	if inbox, _ := s.Inbox(ctx, "ann", 0, 10); len(inbox) != 1 {
		t.Fatalf("inbox after pruning the outbox: %d rows, want 1", len(inbox))
	}
}

func testPruneInbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i, at := range []time.Time{base.Add(-40 * day), base.Add(-31 * day), base.Add(-29 * day)} {
		it := item("prune-inbox-"+string(rune('a'+i)), "ann")
		it.NextAttemptAt = at
		if _, err := s.Enqueue(ctx, []store.OutboxItem{it}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Claim(ctx, "n", at, time.Minute, 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		if err := s.Delivered(ctx, got[0].ID, "n", at); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PruneInbox(ctx, base.Add(-30*day), 100); err != nil || n != 2 {
		t.Fatalf("PruneInbox = %d, %v; want the 2 older than 30 days", n, err)
	}
	inbox, _ := s.Inbox(ctx, "ann", 0, 10)
	if len(inbox) != 1 || !inbox[0].CreatedAt.Equal(base.Add(-29*day)) {
		t.Fatalf("inbox after pruning = %+v, want the recent one", inbox)
	}
}
