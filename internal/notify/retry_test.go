package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
)

// TestRetrySchedule holds MaxAttempts to the schedule and checks the
// schedule outlasts a receiver down for a day: the Standard Webhooks
// steps add up to 27 h 35 min 5 s.
func TestRetrySchedule(t *testing.T) {
	if MaxAttempts != len(retrySchedule)+1 {
		t.Fatalf("MaxAttempts is %d, the schedule has %d retries", MaxAttempts, len(retrySchedule))
	}
	var total time.Duration
	for _, d := range retrySchedule {
		total += d
	}
	if want := 27*time.Hour + 35*time.Minute + 5*time.Second; total != want {
		t.Fatalf("retries span %v, want %v", total, want)
	}
	if NewWebhookSender(SenderOptions{}).timeout != 15*time.Second {
		t.Fatalf("default attempt timeout %v, want 15 s (the spec suggests 15 to 30)", NewWebhookSender(SenderOptions{}).timeout)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999999999", RetryAfterMax + time.Second}, // no overflow; bounded by RetryWait
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
	waits := []struct {
		err  error
		want time.Duration
	}{
		{&DeliveryError{Retryable: true, RetryAfter: 2 * time.Minute}, 2 * time.Minute},
		{&DeliveryError{Retryable: true, RetryAfter: time.Second}, RetryAfterMin},
		{&DeliveryError{Retryable: true, RetryAfter: 30 * 24 * time.Hour}, RetryAfterMax},
	}
	for _, w := range waits {
		if got := RetryWait(3, w.err); got != w.want {
			t.Errorf("RetryWait(%v) = %v, want %v", w.err, got, w.want)
		}
	}
	if got := RetryWait(3, errors.New("network")); got < 30*time.Minute || got > 33*time.Minute {
		t.Errorf("RetryWait without Retry-After = %v, want the schedule's third step", got)
	}
}

// deliveryOf is the one outbox row of a room.
func deliveryOf(t *testing.T, st store.Store, roomID string) store.OutboxItem {
	t.Helper()
	items, err := st.Deliveries(context.Background(), roomID, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("deliveries of %s: %v, %v", roomID, items, err)
	}
	return items[0]
}

func newRetryDeliverer(t *testing.T, clk *clock, hooks []Webhook) (store.Store, *Deliverer) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := NewDeliverer(DelivererConfig{Store: st, Now: clk.Now, Owner: "test", ServerWebhooks: hooks,
		Sender: NewWebhookSender(SenderOptions{AllowPrivate: true, Timeout: 5 * time.Second, Now: clk.Now})})
	return st, d
}

func enqueueOne(t *testing.T, st store.Store, roomID, url string) {
	t.Helper()
	n, err := st.Enqueue(context.Background(), []store.OutboxItem{{EventID: roomID + ":room_open:1", RoomID: roomID, Channel: "webhook", Recipient: url, Type: "room_open", Payload: []byte(`{"type":"room_open"}`)}})
	if err != nil || n != 1 {
		t.Fatalf("enqueue: %d, %v", n, err)
	}
}

// TestDelivererOutlastsAReceiverDownFifteenMinutes: a receiver whose port
// refuses connections for 15 minutes (of a fake clock) still gets
// room_open, on the schedule's fourth attempt (0, 5 s, 5 min 5 s, then
// 35 min 5 s), where the old schedule had given up after about 10 min.
func TestDelivererOutlastsAReceiverDownFifteenMinutes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: nothing listens there
	url := "http://" + addr + "/hook"
	clk := &clock{t: time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)}
	t0 := clk.Now()
	st, d := newRetryDeliverer(t, clk, []Webhook{{URL: url, Secret: []byte("0123456789abcdef0123456789")}})
	enqueueOne(t, st, "down15", url)

	var got atomic.Int32
	up := false
	ctx := context.Background()
	for range MaxAttempts {
		if !up && clk.Now().Sub(t0) >= 15*time.Minute {
			// Back up, on the same address, with a real HTTP server.
			l2, err := net.Listen("tcp", addr)
			if err != nil {
				t.Skipf("the port was taken while the receiver was down: %v", err)
			}
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("webhook-signature") != "" {
					got.Add(1)
				}
				w.WriteHeader(http.StatusNoContent)
			})}
			go srv.Serve(l2)
			t.Cleanup(func() { srv.Close() })
			up = true
		}
		if _, err := d.Step(ctx); err != nil {
			t.Fatal(err)
		}
		d.Wait()
		it := deliveryOf(t, st, "down15")
		if it.State != store.OutboxPending {
			break
		}
		clk.Add(it.NextAttemptAt.Sub(clk.Now())) // to the next attempt, no sooner
	}
	it := deliveryOf(t, st, "down15")
	if it.State != store.OutboxDelivered || got.Load() != 1 {
		t.Fatalf("after 15 minutes down: %s after %d attempts (%s), receiver got %d", it.State, it.Attempts, it.LastError, got.Load())
	}
	if it.Attempts != 4 {
		t.Errorf("delivered on attempt %d, want the fourth (failed at 0, 5 s, 5 min 5 s)", it.Attempts)
	}
	if at := it.DeliveredAt.Sub(t0); at < 35*time.Minute || at > 39*time.Minute {
		t.Errorf("delivered %v after the event, want on the 30-minute step", at)
	}
}

// TestDelivererHonoursRetryAfter: a receiver answering 429 or 503 with
// Retry-After is retried when it asked, within bounds.
func TestDelivererHonoursRetryAfter(t *testing.T) {
	tests := []struct {
		status int
		header string
		want   time.Duration
	}{
		{http.StatusTooManyRequests, "120", 2 * time.Minute},
		{http.StatusServiceUnavailable, "", 0}, // the schedule: 5 s to 5.5 s
		{http.StatusServiceUnavailable, "604800", RetryAfterMax},
		{http.StatusTooManyRequests, "1", RetryAfterMin},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status)+" "+tt.header, func(t *testing.T) {
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
			})}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			url := "http://" + ln.Addr().String() + "/hook"
			clk := &clock{t: time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)}
			st, d := newRetryDeliverer(t, clk, []Webhook{{URL: url, Secret: []byte("0123456789abcdef0123456789")}})
			enqueueOne(t, st, "busy", url)
			if _, err := d.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
			d.Wait()
			it := deliveryOf(t, st, "busy")
			wait := it.NextAttemptAt.Sub(clk.Now())
			if it.State != store.OutboxPending || it.Attempts != 1 {
				t.Fatalf("after a %d: %s, %d attempts", tt.status, it.State, it.Attempts)
			}
			if tt.want == 0 {
				if wait < 5*time.Second || wait > 5500*time.Millisecond {
					t.Fatalf("no Retry-After: next try in %v, want the schedule's 5 s", wait)
				}
				return
			}
			if wait != tt.want {
				t.Fatalf("Retry-After %q: next try in %v, want %v", tt.header, wait, tt.want)
			}
		})
	}
}

// TestRedeliveredDeliveryReachesTheReceiver: a delivery that died (the
// receiver answered 410) and is redelivered is sent again at once, under
// the same webhook-id, so a receiver that did get it can tell.
func TestRedeliveredDeliveryReachesTheReceiver(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusGone)
	ids := make(chan string, 4)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids <- r.Header.Get("webhook-id")
		w.WriteHeader(int(status.Load()))
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/hook"
	clk := &clock{t: time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)}
	st, d := newRetryDeliverer(t, clk, []Webhook{{URL: url, Secret: []byte("0123456789abcdef0123456789")}})
	enqueueOne(t, st, "gone", url)
	ctx := context.Background()
	step := func() {
		if _, err := d.Step(ctx); err != nil {
			t.Fatal(err)
		}
		d.Wait()
	}
	step()
	if it := deliveryOf(t, st, "gone"); it.State != store.OutboxDead {
		t.Fatalf("after a 410: %+v, want dead", it)
	}
	status.Store(http.StatusNoContent)
	clk.Add(time.Minute)
	if n, err := st.Redeliver(ctx, "gone", []int64{deliveryOf(t, st, "gone").ID}, clk.Now()); err != nil || n != 1 {
		t.Fatalf("Redeliver = %d, %v", n, err)
	}
	step()
	if it := deliveryOf(t, st, "gone"); it.State != store.OutboxDelivered || it.Attempts != 1 {
		t.Fatalf("after redelivery: %+v, want delivered on its first new attempt", it)
	}
	if first, again := <-ids, <-ids; first == "" || first != again {
		t.Fatalf("webhook-id %q then %q, want the same", first, again)
	}
}
