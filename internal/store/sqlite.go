package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options tune a store; the zero value is fine.
type Options struct {
	// Clock stamps CreatedAt, UpdatedAt and migrations; nil means time.Now.
	Clock Clock
}

// SQLite is a Store kept in one SQLite file, used by one process at a time.
type SQLite struct {
	path string
	// w is the only connection that writes. Funnelling every write through
	// it serializes writers in Go instead of racing for SQLite's lock, and
	// its transactions begin IMMEDIATE so a read-then-write (UpdateRoom)
	// holds the write lock from its first read.
	w *sql.DB
	// r is a pool of read-only connections; WAL lets them read while w writes.
	r     *sql.DB
	lock  *os.File
	clock Clock

	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens the rooms database at path, creating it and its directory
// if missing, takes the single-process lock path+".lock" and brings the
// schema up to date.
func OpenSQLite(ctx context.Context, path string, opts Options) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("open store: empty database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := ensureDir(filepath.Dir(abs)); err != nil {
		return nil, err
	}
	lock, err := acquireLock(abs)
	if err != nil {
		return nil, err
	}
	s := &SQLite{path: abs, lock: lock, clock: opts.Clock}
	if s.clock == nil {
		s.clock = time.Now
	}
	if err := s.open(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *SQLite) open(ctx context.Context) error {
	if fi, err := os.Stat(s.path); err == nil && fi.IsDir() {
		return fmt.Errorf("open store: %s is a directory, not a rooms database", s.path)
	}
	if err := checkFileWritable(s.path); err != nil {
		return err
	}
	// synchronous=NORMAL in WAL mode syncs the WAL only at checkpoints, so a
	// commit is in the OS page cache when Commit returns. That survives the
	// process being killed (kill -9, a crash). Only a power loss or kernel
	// crash can drop the last transactions, and even that leaves the file
	// consistent. FULL would fsync every commit for no gain against kill -9.
	w, err := sql.Open("sqlite", dsn(s.path,
		"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
	)+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s.w = w
	if err := checkDatabase(ctx, w, s.path); err != nil {
		return err
	}
	if err := migrate(ctx, w, s.path, s.now); err != nil {
		return err
	}

	r, err := sql.Open("sqlite", dsn(s.path, "busy_timeout(5000)", "query_only(1)"))
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	if err := r.PingContext(ctx); err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	return nil
}

// dsn builds a modernc.org/sqlite URI for path. The path is escaped because
// the driver cuts the DSN at the first '?'.
func dsn(path string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// now returns the clock's time as stored: UTC without a monotonic reading,
// so what a method returns equals what a later read returns.
func (s *SQLite) now() time.Time {
	return s.clock().UTC().Round(0)
}

// Ping checks that the database answers a query.
func (s *SQLite) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Close closes the database and releases the lock; later calls return the
// first call's result.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		// Readers first: the last connection to close checkpoints the WAL
		// into the database file, and that should be the writer.
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		if s.w != nil {
			errs = append(errs, s.w.Close())
		}
		if s.lock != nil {
			errs = append(errs, releaseLock(s.lock))
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}
