package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

var _ Cluster = (*Postgres)(nil)

const nodeColumns = `n.id, n.url, n.media, n.participants, n.calls, n.draining, n.started_at, n.seen_at`

func scanNode(row pgx.Row, extra ...any) (Node, error) {
	var n Node
	var parts, calls int64
	dest := append([]any{&n.ID, &n.URL, &n.Media, &parts, &calls, &n.Draining, &n.StartedAt, &n.SeenAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Node{}, err
	}
	n.Participants, n.Calls = int(parts), int(calls)
	return n, nil
}

func millis(d time.Duration) int64 { return d.Milliseconds() }

// Heartbeat registers n or refreshes its row.
func (s *Postgres) Heartbeat(ctx context.Context, n Node) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO cluster_nodes (id, url, media, participants, calls, draining, started_at, seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, now(), now())
		ON CONFLICT (id) DO UPDATE SET url = $2, media = $3, participants = $4, calls = $5, draining = $6, seen_at = now()`,
		n.ID, n.URL, n.Media, n.Participants, n.Calls, n.Draining)
	if err != nil {
		return fmt.Errorf("node heartbeat: %w", err)
	}
	return nil
}

// Deregister removes a node and its leases.
func (s *Postgres) Deregister(ctx context.Context, nodeID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM call_leases WHERE node_id = $1`, nodeID); err != nil {
			return fmt.Errorf("deregister node: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cluster_nodes WHERE id = $1`, nodeID); err != nil {
			return fmt.Errorf("deregister node: %w", err)
		}
		return nil
	})
}

// Nodes lists the nodes seen within stale.
func (s *Postgres) Nodes(ctx context.Context, stale time.Duration) ([]Node, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+nodeColumns+` FROM cluster_nodes n
		WHERE n.seen_at > now() - $1 * interval '1 millisecond' ORDER BY n.id`, millis(stale))
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var out []Node
	for rows.Next() {
		n, err := scanNode(rows)
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	return out, nil
}

// leaseLock serializes placing one room's call (an advisory lock held
// until the transaction ends).
func leaseLock(ctx context.Context, tx pgx.Tx, roomID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('rooms.lease.' || $1))`, roomID)
	return err
}

// liveLease is the lease of roomID that has not expired, with its node.
func liveLease(ctx context.Context, q pgQuerier, roomID string) (CallLease, bool, error) {
	var l CallLease
	var parts int64
	n, err := scanNode(q.QueryRow(ctx, `SELECT `+nodeColumns+`, l.participants, l.expires_at
		FROM call_leases l JOIN cluster_nodes n ON n.id = l.node_id
		WHERE l.room_id = $1 AND l.expires_at > now()`, roomID), &parts, &l.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return CallLease{}, false, nil
	}
	if err != nil {
		return CallLease{}, false, err
	}
	l.RoomID, l.Node, l.Participants = roomID, n, int(parts)
	return l, true, nil
}

func putLease(ctx context.Context, tx pgx.Tx, roomID, nodeID string, ttl time.Duration) error {
	_, err := tx.Exec(ctx, `INSERT INTO call_leases (room_id, node_id, participants, placed_at, expires_at)
		VALUES ($1, $2, 0, now(), now() + $3 * interval '1 millisecond')
		ON CONFLICT (room_id) DO UPDATE SET node_id = $2, participants = 0, placed_at = now(), expires_at = now() + $3 * interval '1 millisecond'`,
		roomID, nodeID, millis(ttl))
	return err
}

// PlaceCall returns the node a room's call runs on, placing it if needed on
// the least loaded live node: fewest participants in its leased calls,
// each call counting at least one (a call just placed has nobody yet),
// ties to the lowest id.
func (s *Postgres) PlaceCall(ctx context.Context, roomID string, stale, ttl time.Duration) (CallLease, error) {
	var out CallLease
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := leaseLock(ctx, tx, roomID); err != nil {
			return fmt.Errorf("place call: %w", err)
		}
		l, ok, err := liveLease(ctx, tx, roomID)
		if err != nil {
			return fmt.Errorf("place call: %w", err)
		}
		if ok {
			out = l
			return nil
		}
		n, err := scanNode(tx.QueryRow(ctx, `SELECT `+nodeColumns+` FROM cluster_nodes n
			LEFT JOIN LATERAL (SELECT COALESCE(SUM(GREATEST(l.participants, 1)), 0) AS load
				FROM call_leases l WHERE l.node_id = n.id AND l.expires_at > now()) ld ON TRUE
			WHERE n.seen_at > now() - $1 * interval '1 millisecond' AND NOT n.draining
			ORDER BY ld.load, n.id LIMIT 1`, millis(stale)))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoNode
		}
		if err != nil {
			return fmt.Errorf("place call: choose a node: %w", err)
		}
		if err := putLease(ctx, tx, roomID, n.ID, ttl); err != nil {
			return fmt.Errorf("place call: %w", err)
		}
		out = CallLease{RoomID: roomID, Node: n, ExpiresAt: time.Now().Add(ttl)}
		return nil
	})
	return out, err
}

// ClaimCall gives nodeID the room's lease unless another node holds a live one.
func (s *Postgres) ClaimCall(ctx context.Context, roomID, nodeID string, ttl time.Duration) (CallLease, error) {
	var out CallLease
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := leaseLock(ctx, tx, roomID); err != nil {
			return fmt.Errorf("claim call: %w", err)
		}
		l, ok, err := liveLease(ctx, tx, roomID)
		if err != nil {
			return fmt.Errorf("claim call: %w", err)
		}
		if ok && l.Node.ID != nodeID {
			out = l
			return nil
		}
		if err := putLease(ctx, tx, roomID, nodeID, ttl); err != nil {
			return fmt.Errorf("claim call: %w", err)
		}
		n, err := scanNode(tx.QueryRow(ctx, `SELECT `+nodeColumns+` FROM cluster_nodes n WHERE n.id = $1`, nodeID))
		if err != nil {
			return fmt.Errorf("claim call: read node %s: %w", nodeID, err)
		}
		out = CallLease{RoomID: roomID, Node: n, Participants: l.Participants, ExpiresAt: time.Now().Add(ttl)}
		return nil
	})
	return out, err
}

// RenewCalls extends nodeID's leases of live calls and drops its others.
func (s *Postgres) RenewCalls(ctx context.Context, nodeID string, live map[string]int, ttl time.Duration) error {
	ids := make([]string, 0, len(live))
	counts := make([]int64, 0, len(live))
	for id, n := range live {
		ids = append(ids, id)
		counts = append(counts, int64(n))
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE call_leases l SET expires_at = now() + $2 * interval '1 millisecond', participants = u.n
			FROM unnest($3::text[], $4::bigint[]) AS u(room_id, n)
			WHERE l.room_id = u.room_id AND l.node_id = $1`, nodeID, millis(ttl), ids, counts); err != nil {
			return fmt.Errorf("renew leases: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM call_leases WHERE node_id = $1 AND NOT (room_id = ANY($3::text[]))
			AND placed_at < now() - $2 * interval '1 millisecond'`, nodeID, millis(ttl), ids); err != nil {
			return fmt.Errorf("drop ended leases: %w", err)
		}
		return nil
	})
}

// CallLeases lists the leases that have not expired.
func (s *Postgres) CallLeases(ctx context.Context) ([]CallLease, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+nodeColumns+`, l.room_id, l.participants, l.expires_at
		FROM call_leases l JOIN cluster_nodes n ON n.id = l.node_id WHERE l.expires_at > now() ORDER BY l.room_id`)
	if err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	defer rows.Close()
	var out []CallLease
	for rows.Next() {
		var l CallLease
		var parts int64
		n, err := scanNode(rows, &l.RoomID, &parts, &l.ExpiresAt)
		if err != nil {
			return nil, fmt.Errorf("list leases: %w", err)
		}
		l.Node, l.Participants = n, int(parts)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list leases: %w", err)
	}
	return out, nil
}

// ClusterSecret returns the shared node-to-node key, storing mk's the
// first time.
func (s *Postgres) ClusterSecret(ctx context.Context, mk func() []byte) ([]byte, error) {
	if _, err := s.pool.Exec(ctx, `INSERT INTO cluster_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, mk()); err != nil {
		return nil, fmt.Errorf("store the cluster secret: %w", err)
	}
	var secret []byte
	if err := s.pool.QueryRow(ctx, `SELECT secret FROM cluster_secret WHERE id = 1`).Scan(&secret); err != nil {
		return nil, fmt.Errorf("read the cluster secret: %w", err)
	}
	return secret, nil
}

// ClusterNotify tells every listener on channel.
func (s *Postgres) ClusterNotify(ctx context.Context, channel, payload string) error {
	if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// ClusterListen holds a connection of its own in LISTEN on channel until ctx
// ends, calling fn with each payload; a lost connection is made again.
func (s *Postgres) ClusterListen(ctx context.Context, channel string, ready func(), fn func(payload string)) error {
	for {
		err := s.listenOnce(ctx, channel, ready, fn)
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
		_ = err // a dropped connection: listen again
	}
}

func (s *Postgres) listenOnce(ctx context.Context, channel string, ready func(), fn func(string)) error {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("listen %s: %w", channel, err)
	}
	conn := pc.Hijack() // in LISTEN: never back into the pool
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen %s: %w", channel, err)
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen %s: %w", channel, err)
		}
		fn(n.Payload)
	}
}
