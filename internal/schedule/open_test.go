package schedule

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
)

// failOutbox makes every insert into the outbox fail, behind the store's
// back, as a full disk or a crash between two writes would.
func failOutbox(t *testing.T, path string, fail bool) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `DROP TRIGGER IF EXISTS fail_outbox`
	if fail {
		q = `CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'outbox write failed'); END`
	}
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// TestOpenWritesRoomAndNotificationsTogether: a booked room that opens
// while its notifications cannot be written stays booked, and opens with
// them once they can. (Before, it was left open with nobody told.)
func TestOpenWritesRoomAndNotificationsTogether(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rooms.db")
	s, st, r := setupAt(t, path, time.Hour, 0)
	ctx := context.Background()

	failOutbox(t, path, true)
	if err := s.Step(ctx, t0.Add(time.Hour)); err == nil {
		t.Fatal("Step with a failing outbox returned no error")
	}
	got, err := st.GetRoom(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != room.Scheduled {
		t.Fatalf("room is %s without its room_open notifications; want it still scheduled", got.State)
	}

	failOutbox(t, path, false)
	if err := s.Step(ctx, t0.Add(time.Hour+time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetRoom(ctx, r.ID); got.State != room.Open {
		t.Fatalf("room is %s after the outbox healed, want open", got.State)
	}
	if n := types(t, st, r.ID); n["room_open/inbox"] != 1 || n["room_open/email"] != 1 {
		t.Fatalf("notifications after opening = %v, want room_open to the handle and the email", n)
	}
}
