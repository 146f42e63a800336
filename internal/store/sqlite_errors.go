package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors OpenSQLite returns besides ErrLocked; their text is written for the
// person starting roomsd, errors.Is is for code.
var (
	// ErrNotWritable means the data directory or database cannot be written.
	ErrNotWritable = errors.New("data directory is not writable")
	// ErrCorrupt means the file is not a rooms database or is damaged.
	ErrCorrupt = errors.New("not a rooms database or corrupt")
	// ErrSchemaTooNew means a newer roomsd has migrated the database.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// openError carries a message meant for an operator while still matching
// both its kind (one of the sentinels) and its cause with errors.Is.
type openError struct {
	msg   string
	kind  error
	cause error
}

func (e *openError) Error() string { return e.msg }

func (e *openError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// ensureDir creates dir if missing and checks that it is writable now, so
// the failure names the directory rather than surfacing later as SQLite's
// "unable to open database file".
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		if isNotWritable(err) {
			return notWritableDirError(dir, err)
		}
		return fmt.Errorf("open store: create data directory %s: %w", dir, err)
	}
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return notWritableDirError(dir, &fs.PathError{Op: "access", Path: dir, Err: err})
	}
	return nil
}

// checkFileWritable refuses an existing database file this process may not
// write: SQLite would quietly open it read-only and fail at the first write.
func checkFileWritable(path string) error {
	err := unix.Access(path, unix.W_OK)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return &openError{
		msg:   fmt.Sprintf("database %s is not writable: %v; fix its permissions or choose another --data-dir", path, err),
		kind:  ErrNotWritable,
		cause: &fs.PathError{Op: "access", Path: path, Err: err},
	}
}

func isNotWritable(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EROFS)
}

func notWritableDirError(dir string, err error) error {
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err // "permission denied" reads better than the full op and path
	}
	return &openError{
		msg:   fmt.Sprintf("data directory %s is not writable: %v; choose another with --data-dir", dir, cause),
		kind:  ErrNotWritable,
		cause: err,
	}
}

func corruptError(path string, detail string, cause error) error {
	return &openError{
		msg:   fmt.Sprintf("%s is not a rooms database or is corrupt (%s); move it aside and start again", path, detail),
		kind:  ErrCorrupt,
		cause: cause,
	}
}

// classifyOpen turns what SQLite says about a file it cannot use into an
// error the operator can act on.
func classifyOpen(path string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return corruptError(path, se.Error(), err)
		case sqlite3.SQLITE_READONLY:
			return &openError{
				msg:   fmt.Sprintf("database %s is read-only (%v); fix its permissions or choose another --data-dir", path, se),
				kind:  ErrNotWritable,
				cause: err,
			}
		}
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// checkDatabase reads the whole file once at start (PRAGMA quick_check) so
// a damaged or foreign file stops roomsd now, not at its first request.
func checkDatabase(ctx context.Context, db *sql.DB, path string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA quick_check")
	if err != nil {
		return classifyOpen(path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return classifyOpen(path, err)
		}
		if line != "ok" && len(problems) < 3 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return classifyOpen(path, err)
	}
	if len(problems) > 0 {
		return corruptError(path, "quick_check: "+strings.Join(problems, "; "), nil)
	}

	// A valid SQLite file from some other program has tables but no
	// schema_migrations; migrating it would graft rooms onto its data.
	var tables, ours int
	err = db.QueryRowContext(ctx, `SELECT
		count(*),
		count(*) FILTER (WHERE name = 'schema_migrations')
		FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`,
	).Scan(&tables, &ours)
	if err != nil {
		return classifyOpen(path, err)
	}
	if tables > 0 && ours == 0 {
		return corruptError(path, "it has tables but no schema_migrations", nil)
	}
	return nil
}
