package server

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/store/pgtest"
	"github.com/rooms-dev/rooms/pkg/api"
)

// TestServesOnPostgres starts a whole roomsd with --db postgres://, creates
// and reads a room over the API, and finds the room in PostgreSQL (and no
// SQLite file in the data directory).
func TestServesOnPostgres(t *testing.T) {
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
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	cfg.DB = cluster.NewDatabase(t)
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	c, stop := testServerConfig(t, cfg, slog.New(slog.DiscardHandler))
	r, err := c.CreateRoom(ctx, api.CreateRoomRequest{Name: "on postgres"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetRoom(ctx, r.ID)
	if err != nil || got.Name != "on postgres" {
		t.Fatalf("GetRoom = %+v, %v", got, err)
	}
	stop()

	if _, err := os.Stat(filepath.Join(cfg.DataDir, "rooms.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a SQLite file in the data directory: %v", err)
	}
	st, err := store.OpenPostgres(ctx, cfg.DB, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if stored, err := st.GetRoom(ctx, r.ID); err != nil || stored.Name != "on postgres" {
		t.Fatalf("the room in PostgreSQL: %+v, %v", stored, err)
	}
}

// TestResolveKeepsThePostgresPasswordOut checks that a bad postgres:// --db
// is refused at start without repeating its password.
func TestResolveKeepsThePostgresPasswordOut(t *testing.T) {
	for _, db := range []string{
		"postgres://rooms:s3cret@db:notaport/rooms",
		"postgresql://rooms:s3cret@db/rooms?sslmode=sometimes",
	} {
		cfg := Defaults()
		cfg.DataDir, cfg.DB = t.TempDir(), db
		err := cfg.Resolve()
		if err == nil {
			t.Fatalf("Resolve(%q) = nil, want an error", db)
		}
		if msg := err.Error(); !strings.Contains(msg, "--db") || strings.Contains(msg, "s3cret") {
			t.Errorf("Resolve(%q) = %q, want a --db error without the password", db, msg)
		}
	}
}
