package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// togetherTests check that a room change and its notifications commit
// together or not at all (CreateRoomWith, UpdateRoomWith).
var togetherTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"CreateRoomWithWritesEverything", testCreateWith},
	{"CreateRoomWithTakenIDWritesNothing", testCreateWithTaken},
	{"UpdateRoomWithEnqueuesInTheChange", testUpdateWith},
	{"UpdateRoomWithFnErrorWritesNothing", testUpdateWithRollback},
}

func recipients() store.Recipients {
	return store.Recipients{
		Invites:  []store.Invitee{{Kind: "email", Address: "ann@example.com"}, {Kind: "handle", Address: "bo"}},
		Webhooks: []store.RoomWebhook{{URL: "https://hooks.example.com/a", Secret: []byte("s3")}},
	}
}

func rowsFor(roomID, event string) []store.OutboxItem {
	return []store.OutboxItem{
		{EventID: event, RoomID: roomID, Channel: "inbox", Recipient: "bo", Type: "invited", Payload: []byte(`{"type":"invited"}`)},
		{EventID: event, RoomID: roomID, Channel: "webhook", Recipient: "https://hooks.example.com/a", Type: "invited", Payload: []byte(`{"type":"invited"}`)},
	}
}

func deliveries(t *testing.T, s store.Store, roomID string) []store.OutboxItem {
	t.Helper()
	got, err := s.Deliveries(context.Background(), roomID, 100)
	if err != nil {
		t.Fatalf("Deliveries(%q): %v", roomID, err)
	}
	return got
}

func testCreateWith(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := sample("with-create")
	if err := s.CreateRoomWith(ctx, r, recipients(), rowsFor(r.ID, "e-create")); err != nil {
		t.Fatalf("CreateRoomWith: %v", err)
	}
	checkRoom(t, "after CreateRoomWith", r, mustGet(t, s, r.ID))
	ivs, err := s.Invites(ctx, r.ID)
	if err != nil || !slices.Equal(ivs, recipients().Invites) {
		t.Fatalf("Invites = %v, %v; want %v", ivs, err, recipients().Invites)
	}
	hooks, err := s.RoomWebhooks(ctx, r.ID)
	if err != nil || len(hooks) != 1 || string(hooks[0].Secret) != "s3" {
		t.Fatalf("RoomWebhooks = %v, %v", hooks, err)
	}
	if got := deliveries(t, s, r.ID); len(got) != 2 || got[0].State != store.OutboxPending {
		t.Fatalf("outbox after CreateRoomWith = %+v, want 2 pending rows", got)
	}
}

func testCreateWithTaken(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := sample("with-taken")
	mustCreate(t, s, r)
	other := r
	other.Name = "the second one"
	err := s.CreateRoomWith(ctx, other, recipients(), rowsFor(r.ID, "e-taken"))
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateRoomWith on a taken id = %v, want ErrExists", err)
	}
	if got := mustGet(t, s, r.ID); got.Name != r.Name {
		t.Fatalf("the first room was overwritten: name %q", got.Name)
	}
	if ivs, _ := s.Invites(ctx, r.ID); len(ivs) != 0 {
		t.Fatalf("a refused create left invitees: %v", ivs)
	}
	if hooks, _ := s.RoomWebhooks(ctx, r.ID); len(hooks) != 0 {
		t.Fatalf("a refused create left webhooks: %v", hooks)
	}
	if got := deliveries(t, s, r.ID); len(got) != 0 {
		t.Fatalf("a refused create left %d outbox rows", len(got))
	}
}

func testUpdateWith(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := sample("with-update")
	if err := s.CreateRoomWith(ctx, r, recipients(), nil); err != nil {
		t.Fatal(err)
	}
	var seen store.Recipients
	got, err := s.UpdateRoomWith(ctx, r.ID, func(cur *room.Room, rc store.Recipients) ([]store.OutboxItem, error) {
		seen = rc
		cur.StartsAt = cur.StartsAt.Add(time.Hour)
		return rowsFor(cur.ID, "e-moved"), nil
	})
	if err != nil {
		t.Fatalf("UpdateRoomWith: %v", err)
	}
	if !slices.Equal(seen.Invites, recipients().Invites) || len(seen.Webhooks) != 1 || seen.Webhooks[0].URL != "https://hooks.example.com/a" {
		t.Fatalf("fn was handed %+v, want the stored recipients", seen)
	}
	if !mustGet(t, s, r.ID).StartsAt.Equal(got.StartsAt) || !got.StartsAt.Equal(r.StartsAt.Add(time.Hour)) {
		t.Fatalf("the change was not stored")
	}
	if n := len(deliveries(t, s, r.ID)); n != 2 {
		t.Fatalf("outbox after UpdateRoomWith has %d rows, want 2", n)
	}
	// The same event again is skipped, as Enqueue skips it.
	if _, err := s.UpdateRoomWith(ctx, r.ID, func(*room.Room, store.Recipients) ([]store.OutboxItem, error) {
		return rowsFor(r.ID, "e-moved"), nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(deliveries(t, s, r.ID)); n != 2 {
		t.Fatalf("a repeated event was enqueued again: %d rows", n)
	}
}

func testUpdateWithRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := sample("with-rollback")
	mustCreate(t, s, r)
	boom := errors.New("boom")
	_, err := s.UpdateRoomWith(ctx, r.ID, func(cur *room.Room, _ store.Recipients) ([]store.OutboxItem, error) {
		cur.Name = "must not stick"
		return rowsFor(cur.ID, "e-rollback"), boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateRoomWith = %v, want fn's error", err)
	}
	if got := mustGet(t, s, r.ID); got.Name != r.Name {
		t.Fatalf("name after a failed fn = %q", got.Name)
	}
	if n := len(deliveries(t, s, r.ID)); n != 0 {
		t.Fatalf("a failed fn left %d outbox rows", n)
	}
}
