package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
)

// schedulingTests are the conformance tests of store.Scheduling.
var schedulingTests = []struct {
	name string
	fn   func(*testing.T, store.Store)
}{
	{"HandlesFirstCome", testHandles},
	{"InvitesAndWebhooks", testInvitesWebhooks},
	{"OutboxOncePerEvent", testEnqueueOnce},
	{"OutboxLeases", testLeases},
	{"OutboxDeliveredToInboxOnce", testDeliveredInbox},
	{"OutboxRetryAndDead", testRetryDead},
	{"OutboxRedeliver", testRedeliver},
	{"WebhooksKeepTheirOwnSecrets", testWebhookSecrets},
}

func testHandles(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.ClaimHandle(ctx, "ann", "k1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClaimHandle(ctx, "ann", "k1"); err != nil {
		t.Fatalf("claiming one's own handle again: %v", err)
	}
	if err := s.ClaimHandle(ctx, "ann", "k2"); !errors.Is(err, store.ErrHandleTaken) {
		t.Fatalf("another key claiming ann = %v, want ErrHandleTaken", err)
	}
	if h, _ := s.HandleOf(ctx, "k1"); h != "ann" {
		t.Fatalf("HandleOf(k1) = %q", h)
	}
	// A key moves to a new handle; the old one is free.
	if err := s.ClaimHandle(ctx, "annie", "k1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.HandleExists(ctx, "ann"); ok {
		t.Fatal("the old handle is still taken")
	}
	if err := s.ReleaseHandle(ctx, "k1"); err != nil {
		t.Fatal(err)
	}
	// Someone else later claims a handle that had notifications: they do
	// not inherit them.
	it := item("handle-reuse", "annie")
	it.NextAttemptAt = base
	if _, err := s.Enqueue(ctx, []store.OutboxItem{it}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Claim(ctx, "n", base, time.Minute, 10)
	for _, g := range got {
		if err := s.Delivered(ctx, g.ID, "n", base); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ClaimHandle(ctx, "annie", "k9"); err != nil {
		t.Fatal(err)
	}
	if inbox, _ := s.Inbox(ctx, "annie", 0, 10); len(inbox) != 0 {
		t.Fatalf("a new owner of a handle reads the old owner's inbox: %d items", len(inbox))
	}
	if h, _ := s.HandleOf(ctx, "k1"); h != "" {
		t.Fatalf("after release the key still has %q", h)
	}
}

func testInvitesWebhooks(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := sample("sched-invites")
	mustCreate(t, s, r)
	ivs := []store.Invitee{{Kind: "handle", Address: "bo"}, {Kind: "email", Address: "ann@example.com"}, {Kind: "handle", Address: "bo"}}
	if err := s.AddInvites(ctx, r.ID, ivs); err != nil {
		t.Fatal(err)
	}
	got, err := s.Invites(ctx, r.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("Invites = %v, %v; want the two distinct ones", got, err)
	}
	if err := s.AddRoomWebhook(ctx, r.ID, store.RoomWebhook{URL: "https://hooks.example.com/x", Secret: []byte("s")}); err != nil {
		t.Fatal(err)
	}
	if ws, _ := s.RoomWebhooks(ctx, r.ID); len(ws) != 1 || string(ws[0].Secret) != "s" {
		t.Fatalf("RoomWebhooks = %v", ws)
	}
}

func item(event, recipient string) store.OutboxItem {
	return store.OutboxItem{EventID: event, RoomID: "r1", Channel: "inbox", Recipient: recipient, Type: "room_open", Payload: []byte(`{"type":"room_open"}`)}
}

func testEnqueueOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.Enqueue(ctx, []store.OutboxItem{item("e1", "ann"), item("e1", "bo")})
	if err != nil || n != 2 {
		t.Fatalf("first enqueue = %d, %v", n, err)
	}
	n, err = s.Enqueue(ctx, []store.OutboxItem{item("e1", "ann"), item("e2", "ann")})
	if err != nil || n != 1 {
		t.Fatalf("enqueue again = %d, %v; want only the new event", n, err)
	}
}

func testLeases(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := base
	var items []store.OutboxItem
	for i := range 20 {
		it := item("lease", string(rune('a'+i)))
		it.NextAttemptAt = now
		items = append(items, it)
	}
	if _, err := s.Enqueue(ctx, items); err != nil {
		t.Fatal(err)
	}
	// Two deliverers at once never get the same item.
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for _, owner := range []string{"node-a", "node-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.Claim(ctx, owner, now.Add(time.Second), time.Minute, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, it := range got {
					if other, dup := seen[it.ID]; dup {
						t.Errorf("item %d claimed by %s and %s", it.ID, other, owner)
					}
					seen[it.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Fatalf("%d items claimed, want 20", len(seen))
	}
	// A lease that ran out (its owner died) can be claimed again.
	again, err := s.Claim(ctx, "node-c", now.Add(2*time.Minute), time.Minute, 100)
	if err != nil || len(again) != 20 {
		t.Fatalf("after the leases ran out: %d, %v", len(again), err)
	}
	// The old owner may no longer finish it.
	if err := s.Delivered(ctx, again[0].ID, "node-a", now.Add(2*time.Minute)); err == nil {
		t.Fatal("an owner whose lease ran out marked an item delivered")
	}
}

func testDeliveredInbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	it := item("deliver", "ann")
	it.NextAttemptAt = base
	if _, err := s.Enqueue(ctx, []store.OutboxItem{it}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, "n", base, time.Minute, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim = %v, %v", got, err)
	}
	if err := s.Delivered(ctx, got[0].ID, "n", base); err != nil {
		t.Fatal(err)
	}
	if err := s.Delivered(ctx, got[0].ID, "n", base); err == nil {
		t.Fatal("delivered twice")
	}
	inbox, err := s.Inbox(ctx, "ann", 0, 10)
	if err != nil || len(inbox) != 1 || string(inbox[0].Payload) != `{"type":"room_open"}` {
		t.Fatalf("inbox = %v, %v", inbox, err)
	}
	if more, _ := s.Inbox(ctx, "ann", inbox[0].ID, 10); len(more) != 0 {
		t.Fatalf("reading after the last id returned %v", more)
	}
	if again, _ := s.Claim(ctx, "n", base.Add(time.Hour), time.Minute, 10); len(again) != 0 {
		t.Fatalf("a delivered item was claimed again: %v", again)
	}
}

func testRetryDead(t *testing.T, s store.Store) {
	ctx := context.Background()
	it := item("retry", "https://hooks.example.com")
	it.Channel, it.NextAttemptAt = "webhook", base
	if _, err := s.Enqueue(ctx, []store.OutboxItem{it}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Claim(ctx, "n", base, time.Minute, 10)
	if len(got) != 1 {
		t.Fatalf("claim: %v", got)
	}
	if err := s.Failed(ctx, got[0].ID, "n", base.Add(10*time.Second), false, "HTTP 500"); err != nil {
		t.Fatal(err)
	}
	if early, _ := s.Claim(ctx, "n", base.Add(5*time.Second), time.Minute, 10); len(early) != 0 {
		t.Fatal("claimed before the retry time")
	}
	if next, _ := s.NextDue(ctx); !next.Equal(base.Add(10 * time.Second)) {
		t.Fatalf("NextDue = %v", next)
	}
	got, _ = s.Claim(ctx, "n", base.Add(11*time.Second), time.Minute, 10)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "HTTP 500" {
		t.Fatalf("retry: %+v", got)
	}
	if err := s.Failed(ctx, got[0].ID, "n", base, true, "gave up"); err != nil {
		t.Fatal(err)
	}
	if more, _ := s.Claim(ctx, "n", base.Add(time.Hour), time.Minute, 10); len(more) != 0 {
		t.Fatal("a dead item was claimed")
	}
	ds, _ := s.Deliveries(ctx, "r1", 10)
	if len(ds) != 1 || ds[0].State != store.OutboxDead || ds[0].Attempts != 2 {
		t.Fatalf("deliveries = %+v", ds)
	}
}

// testRedeliver: a dead or delivered webhook delivery is made due again
// as new; one of another room, another channel, or leased now is not.
func testRedeliver(t *testing.T, s store.Store) {
	ctx := context.Background()
	dead := item("redeliver", "https://hooks.example.com/dead")
	dead.Channel, dead.NextAttemptAt = "webhook", base
	done := item("redeliver", "https://hooks.example.com/done")
	done.Channel, done.NextAttemptAt = "webhook", base
	inbox := item("redeliver", "ann")
	other := item("redeliver", "https://hooks.example.com/other")
	other.Channel, other.RoomID, other.NextAttemptAt = "webhook", "r2", base
	if _, err := s.Enqueue(ctx, []store.OutboxItem{dead, done, inbox, other}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Claim(ctx, "n", base, time.Minute, 10)
	ids := map[string]int64{}
	for _, it := range got {
		ids[it.RoomID+" "+it.Recipient] = it.ID
		switch it.Recipient {
		case dead.Recipient:
			if err := s.Failed(ctx, it.ID, "n", base, true, "gave up"); err != nil {
				t.Fatal(err)
			}
		default:
			if err := s.Delivered(ctx, it.ID, "n", base); err != nil {
				t.Fatal(err)
			}
		}
	}
	later := base.Add(time.Hour)
	n, err := s.Redeliver(ctx, "r1", []int64{ids["r1 "+dead.Recipient], ids["r1 "+done.Recipient], ids["r1 ann"], ids["r2 "+other.Recipient], 999999}, later)
	if err != nil || n != 2 {
		t.Fatalf("Redeliver = %d, %v; want the room's two webhook deliveries", n, err)
	}
	for _, d := range deliveries(t, s, "r1") {
		want := store.OutboxPending
		if d.Channel == "inbox" {
			want = store.OutboxDelivered
		}
		if d.State != want || (d.Channel == "webhook" && (d.Attempts != 0 || !d.NextAttemptAt.Equal(later) || !d.DeliveredAt.IsZero())) {
			t.Errorf("after Redeliver: %+v", d)
		}
	}
	if ds := deliveries(t, s, "r2"); len(ds) != 1 || ds[0].State != store.OutboxDelivered {
		t.Errorf("another room's delivery changed: %+v", ds)
	}
	// Claimed again, and while its lease runs, left alone.
	got, _ = s.Claim(ctx, "n", later, time.Minute, 10)
	if len(got) != 2 {
		t.Fatalf("claim after Redeliver: %+v", got)
	}
	if n, err := s.Redeliver(ctx, "r1", []int64{got[0].ID}, later.Add(time.Second)); err != nil || n != 0 {
		t.Fatalf("Redeliver of a leased delivery = %d, %v; want it left to its deliverer", n, err)
	}
}

// testWebhookSecrets: each of a room's webhooks keeps the secret it was
// given, so one receiver's secret signs nothing sent to another.
func testWebhookSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := sample("sched-secrets")
	rc := store.Recipients{Webhooks: []store.RoomWebhook{
		{URL: "https://a.example.com/h", Secret: []byte("secret-of-a-0123456789ab")},
		{URL: "https://b.example.com/h", Secret: []byte("secret-of-b-0123456789ab")},
	}}
	if err := s.CreateRoomWith(ctx, r, rc, nil); err != nil {
		t.Fatal(err)
	}
	ws, err := s.RoomWebhooks(ctx, r.ID)
	if err != nil || len(ws) != 2 {
		t.Fatalf("RoomWebhooks = %v, %v", ws, err)
	}
	for i, w := range ws {
		if w.URL != rc.Webhooks[i].URL || string(w.Secret) != string(rc.Webhooks[i].Secret) {
			t.Errorf("webhook %d: %s with %q, want %s with %q", i, w.URL, w.Secret, rc.Webhooks[i].URL, rc.Webhooks[i].Secret)
		}
	}
}
