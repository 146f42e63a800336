package daemon

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/store/pgtest"
)

// TestMigrateCommand runs roomsd migrate as an operator would: refused
// while a roomsd holds the SQLite file, then a copy with its progress,
// the room there in PostgreSQL, and a second run refused.
func TestMigrateCommand(t *testing.T) {
	ctx := context.Background()
	cluster, err := pgtest.Start(ctx)
	if errors.Is(err, pgtest.ErrNoPostgres) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cluster.Stop(); err != nil {
			t.Error(err)
		}
	})
	path := filepath.Join(t.TempDir(), "rooms.db")
	src, err := store.OpenSQLite(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.CreateRoom(ctx, room.Room{ID: "r1", Name: "moved", Theme: "forest", Visibility: room.Public, State: room.Open, TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	url := cluster.NewDatabase(t)
	run := func() (int, string, string) {
		var out, errb bytes.Buffer
		code := Main([]string{"migrate", "--from", "sqlite:" + path, "--to", url}, &out, &errb)
		return code, out.String(), errb.String()
	}

	// The store is open (a roomsd runs on it): refused, saying so.
	code, _, stderr := run()
	if code == 0 || !strings.Contains(stderr, "another roomsd is using") {
		t.Fatalf("migrate while the store is open: code %d, stderr %q", code, stderr)
	}
	src.Close()

	code, stdout, stderr := run()
	if code != 0 {
		t.Fatalf("migrate: code %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"rooms", "1 rows", "Copied", "--db postgres://"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("migrate's output lacks %q:\n%s", want, stdout)
		}
	}
	dst, err := store.OpenPostgres(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if r, err := dst.GetRoom(ctx, "r1"); err != nil || r.Name != "moved" {
		t.Fatalf("the room in PostgreSQL: %+v, %v", r, err)
	}

	code, _, stderr = run()
	if code == 0 || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "createdb") {
		t.Fatalf("second migrate: code %d, stderr %q; want a refusal saying the target is not empty", code, stderr)
	}
}

// TestMigrateRefusesBadArguments: each mistake is named, with what to do.
func TestMigrateRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate"}, "--from is missing"},
		{[]string{"migrate", "--from", "sqlite:" + dir + "/rooms.db"}, "--to is missing"},
		{[]string{"migrate", "--from", "postgres://a@b/c", "--to", "postgres://a@b/c"}, "copies from an SQLite store"},
		{[]string{"migrate", "--from", "sqlite:" + dir + "/none.db", "--to", "postgres://a@b/c"}, "no SQLite store at"},
		{[]string{"migrate", "--from", "sqlite:" + dir, "--to", "postgres://a@b/c"}, "is a directory"},
		{[]string{"migrate", "--from", "sqlite:x.db", "--to", dir + "/other.db"}, "not a PostgreSQL URL"},
		{[]string{"migrate", "--from", "sqlite:x.db", "--to", "postgres://u:s3cret@h:notaport/db"}, "--to"},
	} {
		var out, errb bytes.Buffer
		code := Main(tc.args, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), tc.want) || strings.Contains(errb.String(), "s3cret") {
			t.Errorf("roomsd %v: code %d, stderr %q; want an error with %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
