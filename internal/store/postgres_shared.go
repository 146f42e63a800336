package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

var _ Shared = (*Postgres)(nil)

// InboxChannel is the LISTEN/NOTIFY channel on which Delivered tells every
// node of an inbox append (the payload is the handle). Only the time
// plane uses it; other cross-node messages go on channels of their own.
const InboxChannel = "rooms_inbox"

// Timings of Lead. A lock is a session-level advisory lock held by a
// connection of its own: PostgreSQL frees it the moment that session ends,
// and a killed roomsd's session ends as its socket closes, so a waiting
// node takes over within LeadPoll. A lease row would instead wait for its
// expiry, and need renewing. Where the holder vanishes without closing its
// socket (its machine, or the network, died), the server's TCP keepalive
// (leadKeepalive) ends the session; meanwhile the old holder cannot reach
// the database either, so it does nothing twice.
const (
	// LeadPoll is how often a waiting node tries the lock.
	LeadPoll = time.Second
	// leadCheck is how often the holder checks its session is alive,
	// and leadCheckTimeout how long that check may take.
	leadCheck        = time.Second
	leadCheckTimeout = 5 * time.Second
)

// leadKeepalive are the server-side TCP keepalive settings of a lock's
// session: a silent peer is dropped after about 10+3*5 = 25 s.
var leadKeepalive = map[string]string{
	"tcp_keepalives_idle":     "10",
	"tcp_keepalives_interval": "5",
	"tcp_keepalives_count":    "3",
}

// LockKey is the advisory lock key of a named lock: 64 bits of FNV-1a of
// "rooms/lead/" + name, so the names of this project's locks do not
// collide with each other nor, in practice, with another application's.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("rooms/lead/" + name))
	return int64(h.Sum64())
}

// connect opens a connection outside the pool, for a session that must
// live on its own (a lock, a LISTEN).
func (s *Postgres) connect(ctx context.Context, app string, params map[string]string) (*pgx.Conn, error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = app
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", s.where, err)
	}
	return conn, nil
}

// Lead takes the named advisory lock on a connection of its own, trying
// every LeadPoll until it gets it or ctx ends. Connection failures while
// waiting are retried; only ctx's end returns an error.
func (s *Postgres) Lead(ctx context.Context, name string) (Lease, error) {
	key := LockKey(name)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		if conn == nil {
			conn, _ = s.connect(ctx, "roomsd lock "+name, leadKeepalive)
		}
		if conn != nil {
			var got bool
			err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got)
			if err == nil && got {
				l := newPGLease(ctx, conn, key)
				conn = nil // the lease owns it now
				return l, nil
			}
			if err != nil {
				conn.Close(context.Background())
				conn = nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the %s lock: %w", name, ctx.Err())
		case <-time.After(LeadPoll):
		}
	}
}

// pgLease is a held advisory lock. Its goroutine owns the connection:
// it checks the session every leadCheck and, when the lease is released
// or lost, unlocks and closes it.
type pgLease struct {
	ctx     context.Context
	cancel  context.CancelFunc
	release chan struct{}
	once    sync.Once
	done    chan struct{}
}

func newPGLease(parent context.Context, conn *pgx.Conn, key int64) *pgLease {
	ctx, cancel := context.WithCancel(parent)
	l := &pgLease{ctx: ctx, cancel: cancel, release: make(chan struct{}), done: make(chan struct{})}
	go l.hold(conn, key)
	return l
}

func (l *pgLease) hold(conn *pgx.Conn, key int64) {
	defer close(l.done)
	defer l.cancel()
	tick := time.NewTicker(leadCheck)
	defer tick.Stop()
	for {
		select {
		case <-l.ctx.Done():
			l.unlock(conn, key)
			return
		case <-l.release:
			l.unlock(conn, key)
			return
		case <-tick.C:
			cctx, cancel := context.WithTimeout(l.ctx, leadCheckTimeout)
			var held bool
			// The lock is still this session's: the session is alive and
			// nobody (pg_terminate_backend, a restart) took it away.
			// (This session holds no other advisory lock.)
			err := conn.QueryRow(cctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
				WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted)`).Scan(&held)
			cancel()
			if err != nil || !held {
				conn.Close(context.Background())
				return // cancel ends the lease's context
			}
		}
	}
}

// unlock gives the lock back and closes the session (which frees it too,
// should the unlock not get through).
func (l *pgLease) unlock(conn *pgx.Conn, key int64) {
	ctx, cancel := context.WithTimeout(context.Background(), leadCheckTimeout)
	defer cancel()
	_, _ = conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key)
	conn.Close(ctx)
}

func (l *pgLease) Context() context.Context { return l.ctx }

func (l *pgLease) Release() {
	l.once.Do(func() { close(l.release) })
	<-l.done
}

// ListenInbox listens on InboxChannel on a connection of its own until ctx
// ends or the connection fails.
func (s *Postgres) ListenInbox(ctx context.Context, listening func(), wake func(handle string)) error {
	conn, err := s.connect(ctx, "roomsd inbox listener", leadKeepalive)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for inbox deliveries: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+InboxChannel); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("listen for inbox deliveries: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return fmt.Errorf("listen for inbox deliveries: %w", err)
		}
		wake(n.Payload)
	}
}
