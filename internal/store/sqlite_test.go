package store_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/store/storetest"
)

func openAt(t *testing.T, path string, opts store.Options) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("OpenSQLite(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "data", "rooms.db")
}

func testRoom(id string) room.Room {
	return room.Room{
		ID:          id,
		Name:        "Retro",
		Visibility:  room.Public,
		Capacity:    5,
		State:       room.Open,
		StartsAt:    time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC),
		TimeZone:    "Europe/Paris",
		Duration:    time.Hour,
		HostKeyHash: []byte("hash"),
	}
}

// rawExec runs statements on the database file behind the store's back.
func rawExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, tempPath(t), store.Options{})
	})
}

func TestSQLiteSurvivesReopen(t *testing.T) {
	path := tempPath(t)
	s := openAt(t, path, store.Options{})
	if err := s.CreateRoom(t.Context(), testRoom("keep")); err != nil {
		t.Fatal(err)
	}
	want, err := s.UpdateRoom(t.Context(), "keep", func(r *room.Room) error {
		r.Locked = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	got, err := openAt(t, path, store.Options{}).GetRoom(t.Context(), "keep")
	if err != nil {
		t.Fatalf("GetRoom after reopen: %v", err)
	}
	if !equalRoom(want, got) {
		t.Errorf("after reopen got %+v, want %+v", got, want)
	}
}

// TestSQLiteMigratesRoomsToTheServerScreenCap takes a database back to the
// schema before rooms had their own screen cap and opens it again: rooms
// made before the upgrade follow the server's cap (0).
func TestSQLiteMigratesRoomsToTheServerScreenCap(t *testing.T) {
	path := tempPath(t)
	s := openAt(t, path, store.Options{})
	if err := s.CreateRoom(t.Context(), testRoom("old")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Back to version 4: undo migration 5 and every later one.
	rawExec(t, path,
		"ALTER TABLE rooms DROP COLUMN max_screen_shares",
		"DROP TABLE nonces",
		"DROP INDEX rooms_ended_at", "DROP INDEX rooms_ends_at", "DROP INDEX outbox_state_created", "DROP INDEX inbox_created",
		"DELETE FROM schema_migrations WHERE version >= 5")

	got, err := openAt(t, path, store.Options{}).GetRoom(t.Context(), "old")
	if err != nil {
		t.Fatalf("GetRoom after the migration: %v", err)
	}
	if got.MaxScreenShares != 0 || got.Name != "Retro" {
		t.Errorf("a room from before the migration reads back as %+v, want MaxScreenShares 0", got)
	}
}

// equalRoom is exact equality, location pointer included: SQLite keeps
// nanoseconds and returns UTC.
func equalRoom(a, b room.Room) bool {
	return reflect.DeepEqual(a, b)
}

func TestSQLiteKeepsNanosecondsAndClock(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	clock := time.Date(2031, 1, 1, 0, 0, 0, 999, ist)
	s := openAt(t, tempPath(t), store.Options{Clock: func() time.Time { return clock }})

	in := testRoom("ns")
	if err := s.CreateRoom(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	want := in
	want.CreatedAt, want.UpdatedAt = clock.UTC(), clock.UTC()
	got, err := s.GetRoom(t.Context(), "ns")
	if err != nil {
		t.Fatal(err)
	}
	if !equalRoom(want, got) {
		t.Errorf("GetRoom = %+v, want %+v", got, want)
	}

	clock = clock.Add(time.Second + 1)
	updated, err := s.UpdateRoom(t.Context(), "ns", func(*room.Room) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if updated.UpdatedAt != clock.UTC() || updated.CreatedAt != want.CreatedAt {
		t.Errorf("after update CreatedAt, UpdatedAt = %v, %v; want %v, %v",
			updated.CreatedAt, updated.UpdatedAt, want.CreatedAt, clock.UTC())
	}
}

func TestSQLiteRefusesTimesOutOfRange(t *testing.T) {
	s := openAt(t, tempPath(t), store.Options{})
	r := testRoom("far")
	r.StartsAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.CreateRoom(t.Context(), r)
	if err == nil || !strings.Contains(err.Error(), "StartsAt") {
		t.Fatalf("CreateRoom(year 2300) = %v, want an error naming StartsAt", err)
	}
	if _, err := s.GetRoom(t.Context(), "far"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused room was stored: %v", err)
	}
}

func TestSQLiteSecondOpenIsLocked(t *testing.T) {
	path := tempPath(t)
	first := openAt(t, path, store.Options{})

	_, err := store.OpenSQLite(t.Context(), path, store.Options{})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second OpenSQLite: got %v, want ErrLocked", err)
	}
	want := fmt.Sprintf("another roomsd is using %s (lock %s.lock held); stop it or use a different --data-dir", path, path)
	if err.Error() != want {
		t.Errorf("second OpenSQLite error:\n got %q\nwant %q", err, want)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openAt(t, path, store.Options{})
}

func TestSQLiteGarbageFile(t *testing.T) {
	path := tempPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte("this is not a database, it is a shopping list\n"), 200)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := store.OpenSQLite(t.Context(), path, store.Options{})
	checkCorrupt(t, err, path)
	if b, _ := os.ReadFile(path); !bytes.Equal(b, garbage) {
		t.Error("OpenSQLite changed the file it refused")
	}
}

func TestSQLiteDamagedPages(t *testing.T) {
	path := tempPath(t)
	s := openAt(t, path, store.Options{})
	for i := range 200 {
		if err := s.CreateRoom(t.Context(), testRoom(fmt.Sprintf("room-%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Keep page 1 (the header and schema) and scribble over the rest.
	fi, _ := f.Stat()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xa5}, int(fi.Size())-4096), 4096); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, err = store.OpenSQLite(t.Context(), path, store.Options{})
	checkCorrupt(t, err, path)
}

func TestSQLiteForeignDatabase(t *testing.T) {
	path := tempPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")

	_, err := store.OpenSQLite(t.Context(), path, store.Options{})
	checkCorrupt(t, err, path)
}

func checkCorrupt(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("OpenSQLite: got %v, want ErrCorrupt", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, path+" is not a rooms database or is corrupt (") ||
		!strings.HasSuffix(msg, "); move it aside and start again") {
		t.Errorf("OpenSQLite error does not tell the operator what to do: %q", msg)
	}
	t.Logf("error: %v", err)
}

func TestSQLiteSchemaNewerThanBinary(t *testing.T) {
	path := tempPath(t)
	s := openAt(t, path, store.Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rawExec(t, path, "INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'the future')")

	_, err := store.OpenSQLite(t.Context(), path, store.Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("OpenSQLite: got %v, want ErrSchemaTooNew", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "database schema version 999 is newer than this roomsd (knows ") ||
		!strings.HasSuffix(msg, "); upgrade roomsd") {
		t.Errorf("unclear error: %q", msg)
	}

	// The failed open must have released the lock.
	rawExec(t, path, "DELETE FROM schema_migrations WHERE version = 999")
	openAt(t, path, store.Options{})
}

func TestSQLiteReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: chmod 0500 does not stop root from writing")
	}
	parent := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(parent, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(parent, 0o700) })

	tests := []struct {
		name, dir string
	}{
		{"existing directory", parent},
		{"directory to create", filepath.Join(parent, "data")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.OpenSQLite(t.Context(), filepath.Join(tt.dir, "rooms.db"), store.Options{})
			if !errors.Is(err, store.ErrNotWritable) {
				t.Fatalf("OpenSQLite: got %v, want ErrNotWritable", err)
			}
			want := fmt.Sprintf("data directory %s is not writable: permission denied; choose another with --data-dir", tt.dir)
			if err.Error() != want {
				t.Errorf("error:\n got %q\nwant %q", err, want)
			}
		})
	}
}

func TestSQLiteReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: chmod 0400 does not stop root from writing")
	}
	path := tempPath(t)
	s := openAt(t, path, store.Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}

	_, err := store.OpenSQLite(t.Context(), path, store.Options{})
	if !errors.Is(err, store.ErrNotWritable) {
		t.Fatalf("OpenSQLite: got %v, want ErrNotWritable", err)
	}
	t.Logf("error: %v", err)
}
