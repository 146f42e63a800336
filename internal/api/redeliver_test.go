package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/roomwire"
	"github.com/rooms-dev/rooms/internal/schedule"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

const opsHook = "https://ops.example.com/hook"

// newWebhookEnv is an API with the scheduler making outbox rows and one
// server webhook, so a room's deliveries hold both kinds.
func newWebhookEnv(t *testing.T) (*client.Client, store.Store, func() time.Time) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	wire := roomwire.Server{PublicURL: "http://rooms.test", MaxScreenShares: room.DefaultMaxScreenShares}
	sched := schedule.New(schedule.Config{Store: st, Now: clk, ServerWebhooks: []string{opsHook}, ToAPI: func(r room.Room) apitypes.Room { return wire.Render(r, clk(), 0) }})
	handler := api.New(api.Config{Store: st, Now: clk, PublicURL: "http://rooms.test", Notifier: sched, ServerWebhooks: []string{opsHook},
		Rate: api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 6000, CreateBurst: 1000}})
	srv := httptest.NewServer(handler)
	t.Cleanup(func() { srv.Close(); st.Close() })
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c, st, clk
}

// TestEachWebhookHasItsOwnSecret: a room's webhooks are each given a
// secret of their own (24 bytes), returned once and stored with its URL;
// a room with one webhook still has it as webhook_secret.
func TestEachWebhookHasItsOwnSecret(t *testing.T) {
	c, st, _ := newWebhookEnv(t)
	ctx := context.Background()
	hooks := []string{"https://a.example.com/h", "https://b.example.com/h", "https://a.example.com/h"}
	r, err := c.CreateRoom(ctx, apitypes.CreateRoomRequest{Webhooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	if r.WebhookSecret != "" || len(r.WebhookSecrets) != 2 {
		t.Fatalf("two webhooks: webhook_secret %q, webhook_secrets %+v; want one secret each and no shared one", r.WebhookSecret, r.WebhookSecrets)
	}
	stored, err := st.RoomWebhooks(ctx, r.ID)
	if err != nil || len(stored) != 2 {
		t.Fatalf("stored webhooks %v, %v", stored, err)
	}
	keys := map[string]string{}
	for _, s := range r.WebhookSecrets {
		key, err := notify.ParseSecret(s.Secret)
		if err != nil {
			t.Fatalf("secret of %s: %v", s.URL, err)
		}
		keys[s.URL] = string(key)
	}
	if keys[hooks[0]] == keys[hooks[1]] {
		t.Fatal("the two webhooks share a secret")
	}
	for _, w := range stored {
		if keys[w.URL] != string(w.Secret) {
			t.Errorf("%s is signed with a key other than the one shown", w.URL)
		}
	}
	one, err := c.CreateRoom(ctx, apitypes.CreateRoomRequest{Webhooks: hooks[:1]})
	if err != nil || len(one.WebhookSecrets) != 1 || one.WebhookSecret != one.WebhookSecrets[0].Secret {
		t.Fatalf("one webhook: %q and %+v, %v", one.WebhookSecret, one.WebhookSecrets, err)
	}
}

// TestRedeliver: the host has a room's dead webhook deliveries, or one by
// id, tried again at once as new; never the operator's webhook, never
// without the host key, and an unknown id is a 404 that says what to do.
func TestRedeliver(t *testing.T) {
	c, st, clk := newWebhookEnv(t)
	ctx := context.Background()
	r, err := c.CreateRoom(ctx, apitypes.CreateRoomRequest{Webhooks: []string{"https://a.example.com/h", "https://b.example.com/h"}})
	if err != nil {
		t.Fatal(err)
	}
	// Every delivery of the invitation fails for good.
	items, _ := st.Claim(ctx, "d", clk(), time.Minute, 10)
	if len(items) != 3 {
		t.Fatalf("claimed %d deliveries, want the two room webhooks and the server's", len(items))
	}
	for _, it := range items {
		if err := st.Failed(ctx, it.ID, "d", clk(), true, "receiver answered 503"); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := c.Deliveries(ctx, r.ID, r.HostKey)
	if err != nil || len(ds) != 3 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	var ops, first int64
	for _, d := range ds {
		if d.ID == 0 || d.State != store.OutboxDead {
			t.Fatalf("delivery %+v: want an id and dead", d)
		}
		if d.Recipient == "(the server's webhook)" {
			ops = d.ID
		} else {
			first = d.ID
		}
	}

	if _, err := c.Redeliver(ctx, r.ID, "", 0); problemOf(t, err).Status != http.StatusForbidden {
		t.Fatalf("without the host key: %v", err)
	}
	if _, err := c.Redeliver(ctx, r.ID, r.HostKey, ops); problemOf(t, err).Status != http.StatusNotFound {
		t.Fatalf("the server's webhook: %v, want 404", err)
	}
	if p := problemOf(t, func() error { _, err := c.Redeliver(ctx, r.ID, r.HostKey, 424242); return err }()); p.Status != http.StatusNotFound || p.Code != apitypes.CodeNotFound {
		t.Fatalf("an unknown id: %+v", p)
	}

	n, err := c.Redeliver(ctx, r.ID, r.HostKey, 0)
	if err != nil || n != 2 {
		t.Fatalf("redeliver the dead ones = %d, %v; want the room's two", n, err)
	}
	for _, it := range mustDeliveries(t, st, r.ID) {
		want := store.OutboxPending
		if it.ID == ops {
			want = store.OutboxDead
		}
		if it.State != want || (want == store.OutboxPending && (it.Attempts != 0 || !it.NextAttemptAt.Equal(clk()))) {
			t.Errorf("after redeliver: %+v", it)
		}
	}
	// Delivered now; one of them is asked for again by id.
	items, _ = st.Claim(ctx, "d", clk(), time.Minute, 10)
	for _, it := range items {
		if err := st.Delivered(ctx, it.ID, "d", clk()); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.Redeliver(ctx, r.ID, r.HostKey, 0); err != nil || n != 0 {
		t.Fatalf("nothing dead: %d, %v", n, err)
	}
	if n, err := c.Redeliver(ctx, r.ID, r.HostKey, first); err != nil || n != 1 {
		t.Fatalf("redeliver %d = %d, %v", first, n, err)
	}
}

func mustDeliveries(t *testing.T, st store.Store, id string) []store.OutboxItem {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), id, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
