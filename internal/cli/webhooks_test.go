package cli

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/roomwire"
	"github.com/rooms-dev/rooms/internal/schedule"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// TestWebhooksRedeliver: rooms create prints each webhook's own secret,
// rooms webhooks lists deliveries with their ids, and rooms webhooks
// redeliver sends the dead ones again, or one by id; a bad id is a usage
// error that says where ids are.
func TestWebhooksRedeliver(t *testing.T) {
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	wire := roomwire.Server{PublicURL: "http://rooms.test", MaxScreenShares: room.DefaultMaxScreenShares}
	sched := schedule.New(schedule.Config{Store: st, Now: clock, ToAPI: func(r room.Room) apitypes.Room { return wire.Render(r, clock(), 0) }})
	handler := api.New(api.Config{Store: st, Now: clock, PublicURL: "http://rooms.test", Notifier: sched})
	srv := httptest.NewServer(handler)
	t.Cleanup(func() { srv.Close(); st.Close() })
	h := &harness{t: t, url: srv.URL, now: now, state: t.TempDir()}

	out, errOut, code := h.run("create", "--webhook", "https://a.example.com/h", "--webhook", "https://b.example.com/h", "--json")
	var r apitypes.Room
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || len(r.WebhookSecrets) != 2 {
		t.Fatalf("create --json: exit %d %v\n%s%s", code, err, out, errOut)
	}
	id := r.ID
	items, _ := st.Claim(context.Background(), "d", now, time.Minute, 10)
	for _, it := range items {
		if err := st.Failed(context.Background(), it.ID, "d", now, true, "receiver answered 503"); err != nil {
			t.Fatal(err)
		}
	}
	if len(items) != 2 {
		t.Fatalf("%d deliveries, want 2", len(items))
	}

	out, errOut, code = h.run("create", "--webhook", "https://a.example.com/h", "--webhook", "https://b.example.com/h")
	if code != 0 || !strings.Contains(out, "Each webhook is signed with its own secret") ||
		!strings.Contains(out, "https://a.example.com/h  whsec_") || !strings.Contains(out, "https://b.example.com/h  whsec_") {
		t.Fatalf("create: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = h.run("webhooks", id)
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "ID") {
		t.Fatalf("webhooks: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = h.run("webhooks", "redeliver", id)
	if code != 0 || !strings.Contains(out, "2 webhook deliveries will be sent again now") {
		t.Fatalf("redeliver: exit %d\n%s%s", code, out, errOut)
	}
	for _, d := range mustList(t, st, id) {
		if d.State != store.OutboxPending || d.Attempts != 0 {
			t.Errorf("after redeliver: %+v", d)
		}
	}
	out, _, code = h.run("webhooks", "redeliver", id, "--json")
	if code != 0 || strings.TrimSpace(out) != "{\n  \"redelivered\": 0\n}" {
		t.Fatalf("redeliver --json with nothing dead: exit %d %q", code, out)
	}
	one := mustList(t, st, id)[0].ID
	out, errOut, code = h.run("webhooks", "redeliver", id, strconv.FormatInt(one, 10))
	if code != 0 || !strings.Contains(out, "1 webhook delivery will be sent again now") {
		t.Fatalf("redeliver %d: exit %d\n%s%s", one, code, out, errOut)
	}
	_, errOut, code = h.run("webhooks", "redeliver", id, "last")
	if code != 2 || !strings.Contains(errOut, `"last" is not a delivery ID`) {
		t.Fatalf("a bad id: exit %d %s", code, errOut)
	}
	_, errOut, code = h.run("webhooks", "redeliver", id, "999999")
	if code == 0 || !strings.Contains(errOut, "no webhook delivery 999999") {
		t.Fatalf("an unknown id: exit %d %s", code, errOut)
	}
}

func mustList(t *testing.T, st store.Store, id string) []store.OutboxItem {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), id, 10)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
