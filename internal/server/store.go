package server

import (
	"context"

	"github.com/rooms-dev/rooms/internal/store"
)

// openStore opens the store --db names: a postgres:// URL is PostgreSQL,
// anything else the SQLite file Resolve settled on.
func openStore(ctx context.Context, db string) (store.Store, error) {
	if store.IsPostgresURL(db) {
		return store.OpenPostgres(ctx, db, store.Options{})
	}
	return store.OpenSQLite(ctx, db, store.Options{})
}
