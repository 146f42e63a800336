package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

func open(t *testing.T, url string) *store.Postgres {
	t.Helper()
	s, err := store.OpenPostgres(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exec(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresReopenKeepsRoomsAndSchema opens a database twice: the second
// open migrates nothing and finds the room the first stored.
func TestPostgresReopenKeepsRoomsAndSchema(t *testing.T) {
	need(t)
	ctx := context.Background()
	url := cluster.NewDatabase(t)
	s := open(t, url)
	r, err := room.New("kept", nil, room.Spec{Theme: "forest"}, room.Limits{MaxCapacity: 50}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRoom(ctx, r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t, url)
	if _, err := s2.GetRoom(ctx, "kept"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../pgmigrations/*.sql")
	if n != len(files) {
		t.Errorf("%d migrations recorded after two opens, want %d (one per file)", n, len(files))
	}
}

// TestPostgresRefusesANewerSchema: a database a newer roomsd migrated is
// refused with ErrSchemaTooNew rather than used.
func TestPostgresRefusesANewerSchema(t *testing.T) {
	need(t)
	url := cluster.NewDatabase(t)
	exec(t, url, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 'later')`)
	_, err := store.OpenPostgres(context.Background(), url, store.Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "upgrade roomsd") {
		t.Fatalf("OpenPostgres = %v, want ErrSchemaTooNew saying to upgrade", err)
	}
}

// TestPostgresUnreachableSaysSo: no server at the address is a clear error
// naming where, without the password.
func TestPostgresUnreachableSaysSo(t *testing.T) {
	url := "postgres://rooms:s3cret@/rooms?host=" + t.TempDir() + "&connect_timeout=5"
	_, err := store.OpenPostgres(context.Background(), url, store.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("OpenPostgres = %v, want a cannot-reach error without the password", err)
	}
}

// TestPostgresClaimsAreExclusiveAcrossStores: two stores (as two roomsd
// would have) claiming the same outbox at once never lease a row twice,
// and between them lease every row.
func TestPostgresClaimsAreExclusiveAcrossStores(t *testing.T) {
	need(t)
	ctx := context.Background()
	url := cluster.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	const rows = 200
	var items []store.OutboxItem
	for i := range rows {
		items = append(items, store.OutboxItem{EventID: fmt.Sprintf("e%d", i), RoomID: "r", Channel: "webhook",
			Recipient: "https://example.com/hook", Type: "room_open", Payload: []byte(`{}`)})
	}
	if n, err := a.Enqueue(ctx, items); err != nil || n != rows {
		t.Fatalf("Enqueue = %d, %v", n, err)
	}
	now := time.Now().Add(time.Minute)
	var (
		mu      sync.Mutex
		claimed = map[int64]string{}
		wg      sync.WaitGroup
		errs    []error // under mu
	)
	// record notes one claim's rows and says whether to claim again.
	record := func(owner string, got []store.OutboxItem, err error) bool {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return false
		}
		for _, it := range got {
			if prev, ok := claimed[it.ID]; ok {
				errs = append(errs, fmt.Errorf("row %d leased to %s and %s", it.ID, prev, owner))
			}
			claimed[it.ID] = owner
		}
		return len(got) > 0
	}
	for w := range 8 {
		s := []*store.Postgres{a, b}[w%2]
		owner := fmt.Sprintf("node%d", w)
		wg.Go(func() {
			for {
				got, err := s.Claim(ctx, owner, now, time.Hour, 7)
				if !record(owner, got, err) {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs[:min(len(errs), 5)] {
		t.Error(err)
	}
	if len(claimed) != rows {
		t.Errorf("%d rows leased, want %d", len(claimed), rows)
	}
}

// TestPostgresHandleRaceHasOneWinner: keys claiming one handle at once
// through two stores: exactly one gets it, the others ErrHandleTaken.
func TestPostgresHandleRaceHasOneWinner(t *testing.T) {
	need(t)
	ctx := context.Background()
	url := cluster.NewDatabase(t)
	a, b := open(t, url), open(t, url)
	const keys = 16
	results := make(chan error, keys)
	var wg sync.WaitGroup
	for k := range keys {
		s := []*store.Postgres{a, b}[k%2]
		wg.Go(func() { results <- s.ClaimHandle(ctx, "ann", fmt.Sprintf("key%d", k)) })
	}
	wg.Wait()
	close(results)
	won := 0
	for err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrHandleTaken):
			t.Errorf("ClaimHandle = %v, want nil or ErrHandleTaken", err)
		}
	}
	if won != 1 {
		t.Errorf("%d keys got the handle, want 1", won)
	}
}
