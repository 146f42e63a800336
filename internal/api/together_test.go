package api_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/roomwire"
	"github.com/rooms-dev/rooms/internal/schedule"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// outboxSwitch makes inserts into the outbox fail, or heals them, behind
// the store's back: what a full disk or a kill -9 between two
// transactions would do to the second write.
type outboxSwitch struct {
	t    *testing.T
	path string
}

func (o outboxSwitch) set(fail bool) {
	o.t.Helper()
	db, err := sql.Open("sqlite", o.path)
	if err != nil {
		o.t.Fatal(err)
	}
	defer db.Close()
	q := `DROP TRIGGER IF EXISTS fail_outbox`
	if fail {
		q = `CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox write failed'); END`
	}
	if _, err := db.Exec(q); err != nil {
		o.t.Fatal(err)
	}
}

// TestRoomChangesCommitWithTheirNotifications: create, move and cancel
// write the room and its notifications together or not at all. Before,
// the room was committed and the notifications, written after, lost.
func TestRoomChangesCommitWithTheirNotifications(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	path := filepath.Join(t.TempDir(), "rooms.db")
	st, err := store.OpenSQLite(ctx, path, store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	wire := roomwire.Server{PublicURL: "http://rooms.test", MaxScreenShares: room.DefaultMaxScreenShares}
	sched := schedule.New(schedule.Config{Store: st, Now: clk, ToAPI: func(r room.Room) apitypes.Room { return wire.Render(r, clk(), 0) }})
	handler := api.New(api.Config{Store: st, Now: clk, PublicURL: "http://rooms.test", Notifier: sched,
		Rate: api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 6000, CreateBurst: 1000}})
	srv := httptest.NewServer(handler)
	t.Cleanup(func() { srv.Close(); st.Close() })
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	outbox := outboxSwitch{t, path}
	at := now.Add(2 * time.Hour)
	book := apitypes.CreateRoomRequest{StartsAt: &at, TimeZone: "UTC", Invite: []string{"bo@example.com"}}
	types := func(t *testing.T, id string) map[string]int {
		ds, err := st.Deliveries(ctx, id, 100)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, d := range ds {
			out[d.Type]++
		}
		return out
	}
	failed := func(t *testing.T, what string, err error) {
		t.Helper()
		if p := problemOf(t, err); p.Status != http.StatusInternalServerError {
			t.Fatalf("%s with a failing outbox: %+v, want 500", what, p)
		}
	}

	t.Run("create", func(t *testing.T) {
		outbox.set(true)
		_, err := c.CreateRoom(ctx, book)
		outbox.set(false)
		failed(t, "create", err)
		counts, err := st.CountRooms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := counts[room.Scheduled] + counts[room.Open] + counts[room.Ended]; n != 0 {
			t.Fatalf("%d rooms stored without their invitations", n)
		}
		r, err := c.CreateRoom(ctx, book)
		if err != nil {
			t.Fatal(err)
		}
		if got := types(t, r.ID); got["invited"] != 1 {
			t.Fatalf("notifications after create = %v, want one invited", got)
		}
	})

	t.Run("move", func(t *testing.T) {
		r, err := c.CreateRoom(ctx, book)
		if err != nil {
			t.Fatal(err)
		}
		later := at.Add(time.Hour)
		outbox.set(true)
		_, err = c.UpdateRoom(ctx, r.ID, r.HostKey, apitypes.UpdateRoomRequest{StartsAt: &later})
		outbox.set(false)
		failed(t, "move", err)
		if got, _ := st.GetRoom(ctx, r.ID); !got.StartsAt.Equal(at) {
			t.Fatalf("the room moved to %v without telling its invitees", got.StartsAt)
		}
		if _, err := c.UpdateRoom(ctx, r.ID, r.HostKey, apitypes.UpdateRoomRequest{StartsAt: &later}); err != nil {
			t.Fatal(err)
		}
		if got := types(t, r.ID); got["rescheduled"] != 1 {
			t.Fatalf("notifications after move = %v, want one rescheduled", got)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		r, err := c.CreateRoom(ctx, book)
		if err != nil {
			t.Fatal(err)
		}
		outbox.set(true)
		_, err = c.EndRoom(ctx, r.ID, r.HostKey)
		outbox.set(false)
		failed(t, "cancel", err)
		if got, _ := st.GetRoom(ctx, r.ID); got.State == room.Ended {
			t.Fatal("the room was cancelled without telling its invitees")
		}
		if _, err := c.EndRoom(ctx, r.ID, r.HostKey); err != nil {
			t.Fatal(err)
		}
		if got := types(t, r.ID); got["cancelled"] != 1 {
			t.Fatalf("notifications after cancel = %v, want one cancelled", got)
		}
	})
}
