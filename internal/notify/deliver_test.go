package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestDelivererRetriesDeadLettersAndIsNotHeldUp(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	var good, flaky, hung atomic.Int32
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { good.Add(1); w.WriteHeader(204) })
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) { flaky.Add(1); w.WriteHeader(503) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		hung.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(release)

	secret := []byte("whsec_test")
	var hooks []Webhook
	for _, p := range []string{"/good", "/flaky", "/hang"} {
		hooks = append(hooks, Webhook{URL: srv.URL + p, Secret: secret})
	}
	broker := NewBroker()
	d := NewDeliverer(DelivererConfig{Store: st, Now: clk.Now, Owner: "test", Broker: broker, ServerWebhooks: hooks,
		Sender: NewWebhookSender(SenderOptions{AllowPrivate: true, Timeout: 300 * time.Millisecond, Now: clk.Now})})
	if err := st.ClaimHandle(ctx, "ann", "k"); err != nil {
		t.Fatal(err)
	}
	wake, stop := broker.Subscribe("ann")
	defer stop()
	var items []store.OutboxItem
	for _, h := range hooks {
		items = append(items, store.OutboxItem{EventID: "e1", RoomID: "r1", Channel: "webhook", Recipient: h.URL, Type: "room_open", Payload: []byte(`{"type":"room_open"}`)})
	}
	items = append(items,
		store.OutboxItem{EventID: "e1", RoomID: "r1", Channel: "inbox", Recipient: "ann", Type: "room_open", Payload: []byte(`{"type":"room_open"}`)},
		store.OutboxItem{EventID: "e1", RoomID: "r1", Channel: "email", Recipient: "bo@example.com", Type: "room_open", Payload: []byte(`{}`)})
	if _, err := st.Enqueue(ctx, items); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Step(ctx); err != nil || n != 5 {
		t.Fatalf("first step claimed %d, %v", n, err)
	}
	d.Wait()
	select {
	case <-wake:
	default:
		t.Error("the inbox stream was not woken")
	}
	state := func() map[string]store.OutboxItem {
		ds, _ := st.Deliveries(ctx, "r1", 10)
		out := map[string]store.OutboxItem{}
		for _, it := range ds {
			out[it.Recipient] = it
		}
		return out
	}
	s := state()
	if s[srv.URL+"/good"].State != store.OutboxDelivered || s["ann"].State != store.OutboxDelivered {
		t.Fatalf("good webhook and inbox not delivered: %+v", s)
	}
	if s["bo@example.com"].State != store.OutboxDead {
		t.Fatalf("email without a mail server: %+v", s["bo@example.com"])
	}
	if s[srv.URL+"/hang"].State != store.OutboxPending || s[srv.URL+"/hang"].LastError == "" {
		t.Fatalf("a hanging endpoint should fail by timeout and wait to retry: %+v", s[srv.URL+"/hang"])
	}
	// The flaky endpoint is retried with backoff until dead-lettered.
	for i := 0; i < MaxAttempts+2; i++ {
		clk.Add(12 * time.Hour) // past any backoff
		if _, err := d.Step(ctx); err != nil {
			t.Fatal(err)
		}
		d.Wait()
	}
	s = state()
	if f := s[srv.URL+"/flaky"]; f.State != store.OutboxDead || f.Attempts != MaxAttempts {
		t.Fatalf("flaky endpoint after retries: %+v", f)
	}
	if got := flaky.Load(); got != MaxAttempts {
		t.Fatalf("flaky endpoint called %d times, want %d", got, MaxAttempts)
	}
	if good.Load() != 1 {
		t.Fatalf("the good endpoint was called %d times, want once", good.Load())
	}
	if inbox, _ := st.Inbox(ctx, "ann", 0, 10); len(inbox) != 1 {
		t.Fatalf("inbox has %d items, want 1", len(inbox))
	}
}
