package store

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgMigrationFiles are the PostgreSQL schema changes, NNNN_name.sql, applied
// in order; like SQLite's, a released one is never edited.
//
//go:embed pgmigrations/*.sql
var pgMigrationFiles embed.FS

var pgMigrations = mustLoadMigrationsIn(pgMigrationFiles, "pgmigrations")

// pgMigrateLock is the advisory lock key that lets one roomsd at a time
// migrate a shared database ("rooms" in ASCII).
const pgMigrateLock = 0x726f6f6d73

// pgMigrate brings the schema to the latest version in one transaction
// (PostgreSQL's DDL is transactional), holding an advisory lock so two
// nodes starting together do not both migrate.
func pgMigrate(ctx context.Context, pool *pgxpool.Pool, now func() time.Time) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgMigrateLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if current > len(pgMigrations) {
		return &openError{
			msg: fmt.Sprintf("database schema version %d is newer than this roomsd (knows %d); upgrade roomsd",
				current, len(pgMigrations)),
			kind: ErrSchemaTooNew,
		}
	}
	for _, m := range pgMigrations[current:] {
		if err := pgApply(ctx, tx, m, now()); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

func pgApply(ctx context.Context, tx pgx.Tx, m migration, at time.Time) error {
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		m.version, at.UTC().Format(time.RFC3339Nano))
	return err
}
