package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema changes, NNNN_name.sql, applied in order.
// A released migration is never edited: add a new one.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations is parsed once; a malformed name is a build mistake, so it
// panics at start rather than returning an error nobody can act on.
var migrations = mustLoadMigrationsIn(migrationFiles, "migrations")

// mustLoadMigrationsIn reads dir/*.sql of fsys (SQLite's and PostgreSQL's
// migrations follow the same naming).
func mustLoadMigrationsIn(fsys fs.FS, dir string) []migration {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		panic(err)
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			panic(fmt.Sprintf("store: migration %s: name must be NNNN_name.sql", base))
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("store: migration %s: expected version %d", m.name, i+1))
		}
	}
	return ms
}

// latestVersion is the schema version this binary knows.
func latestVersion() int { return len(migrations) }

// migrate brings the schema to latestVersion, one transaction per
// migration so a crash leaves the database at some whole version.
func migrate(ctx context.Context, db *sql.DB, dbPath string, now func() time.Time) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`)
	if err != nil {
		return classifyOpen(dbPath, fmt.Errorf("create schema_migrations: %w", err))
	}
	var current int
	err = db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current)
	if err != nil {
		return classifyOpen(dbPath, fmt.Errorf("read schema version: %w", err))
	}
	if current > latestVersion() {
		return &openError{
			msg: fmt.Sprintf("database schema version %d is newer than this roomsd (knows %d); upgrade roomsd",
				current, latestVersion()),
			kind: ErrSchemaTooNew,
		}
	}
	for _, m := range migrations[current:] {
		if err := apply(ctx, db, m, now()); err != nil {
			return classifyOpen(dbPath, fmt.Errorf("migrate %s: %w", m.name, err))
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, m migration, at time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
		m.version, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return err
	}
	return tx.Commit()
}
