package store

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is a Store kept in a PostgreSQL database. Unlike SQLite it takes
// no process lock: several roomsd may share it, though only the store is
// ready for that (no call placement across nodes yet).
type Postgres struct {
	pool  *pgxpool.Pool
	where string // host/database, for messages; never the password
	clock Clock

	closeOnce sync.Once
}

var _ Store = (*Postgres)(nil)

// IsPostgresURL says whether db names a PostgreSQL database rather than a
// SQLite file.
func IsPostgresURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// OpenPostgres connects to the database at url (postgres://user@host/db),
// checks that it answers and brings its schema up to date.
func OpenPostgres(ctx context.Context, url string, opts Options) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors never echo the password.
		return nil, fmt.Errorf("open store: %s is not a usable PostgreSQL URL (postgres://user:password@host:5432/db): %w", RedactURL(url), err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	where := cfg.ConnConfig.Host + "/" + cfg.ConnConfig.Database
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	s := &Postgres{pool: pool, where: where, clock: opts.Clock}
	if s.clock == nil {
		s.clock = time.Now
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: cannot reach PostgreSQL at %s (is it running, and are the user and password right?): %w", where, err)
	}
	if err := pgMigrate(ctx, pool, s.now); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store %s: %w", where, err)
	}
	return s, nil
}

func (s *Postgres) now() time.Time {
	return s.clock().UTC().Round(0)
}

// Ping checks that the database answers a query.
func (s *Postgres) Ping(ctx context.Context) error {
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

// Close closes the pool's connections; later calls do nothing.
func (s *Postgres) Close() error {
	s.closeOnce.Do(s.pool.Close)
	return nil
}

// pg turns the ? placeholders the SQLite queries use into PostgreSQL's
// $1, $2, ... so the two stores' statements read alike. No statement here
// has a literal '?'.
func pg(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// pgQuerier is what the pool and a transaction both offer.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgUniqueViolation is PostgreSQL's SQLSTATE for a unique constraint.
const pgUniqueViolation = "23505"

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgUniqueViolation
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Postgres) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// pgConnectTimeout bounds a connection attempt when the URL sets none
// (connect_timeout), so an unreachable host fails roomsd's start instead of
// hanging it.
const pgConnectTimeout = 10 * time.Second

// CheckPostgresURL says whether url is a PostgreSQL URL pgx can use,
// without connecting. Its error never repeats the password.
func CheckPostgresURL(url string) error {
	if _, err := pgxpool.ParseConfig(url); err != nil {
		return fmt.Errorf("%s is not a usable PostgreSQL URL (postgres://user:password@host:5432/db): %w", RedactURL(url), err)
	}
	return nil
}

// RedactURL is db fit for a log line: a URL's password becomes xxxxx; a
// file path is as is.
func RedactURL(db string) string {
	u, err := neturl.Parse(db)
	if err != nil || u.Scheme == "" {
		if strings.Contains(db, "://") {
			return "(a database URL that does not parse)"
		}
		return db
	}
	return u.Redacted()
}
