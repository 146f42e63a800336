package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/store/pgtest"
	"github.com/rooms-dev/rooms/internal/store/storetest"
)

var (
	cluster *pgtest.Cluster
	missing error
)

func TestMain(m *testing.M) {
	os.Exit(pgtest.Main(m, &cluster, &missing))
}

// TestPostgresConformance runs the store conformance suite against a real
// PostgreSQL, a fresh database per subtest.
func TestPostgresConformance(t *testing.T) {
	need(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenPostgres(context.Background(), cluster.NewDatabase(t), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func need(t *testing.T) {
	t.Helper()
	pgtest.Need(t, cluster, missing)
}
