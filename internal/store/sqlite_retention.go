package store

import (
	"context"
	"fmt"
	"time"
)

func pruneLimit(limit int) (int, error) {
	if limit < 1 || limit > MaxPruneBatch {
		return 0, fmt.Errorf("prune: limit %d, want 1 to %d", limit, MaxPruneBatch)
	}
	return limit, nil
}

// PruneRooms deletes up to limit rooms over before, with their rows.
func (s *SQLite) PruneRooms(ctx context.Context, before time.Time, limit int) (Pruned, error) {
	limit, err := pruneLimit(limit)
	if err != nil {
		return nil, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("prune rooms: %w", err)
	}
	defer tx.Rollback()
	// Two queries, each matching one partial index (0007_retention.sql).
	var ids []any
	at := before.UnixNano()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT id FROM rooms WHERE ended_at < ? LIMIT ?`, []any{at}},
		// The rooms of the first query are all gone by now if it came
		// short of limit: leave them out, not to count them twice.
		{`SELECT id FROM rooms WHERE duration_ns > 0 AND starts_at + duration_ns < ?
			AND (ended_at IS NULL OR ended_at >= ?) LIMIT ?`, []any{at, at}},
	} {
		if len(ids) >= limit {
			break
		}
		rows, err := tx.QueryContext(ctx, q.sql, append(q.args, limit-len(ids))...)
		if err != nil {
			return nil, fmt.Errorf("prune rooms: find: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("prune rooms: find: %w", err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("prune rooms: find: %w", err)
		}
	}
	out := Pruned{}
	if len(ids) == 0 {
		return out, nil
	}
	in := placeholders(len(ids))
	// Children first, so the counts are exact whether or not the schema
	// cascades.
	for _, d := range []struct{ table, q string }{
		{"inbox", `DELETE FROM inbox WHERE outbox_id IN (SELECT id FROM outbox WHERE room_id IN (` + in + `))`},
		{"outbox", `DELETE FROM outbox WHERE room_id IN (` + in + `)`},
		{"members", `DELETE FROM members WHERE room_id IN (` + in + `)`},
		{"bans", `DELETE FROM bans WHERE room_id IN (` + in + `)`},
		{"invites", `DELETE FROM invites WHERE room_id IN (` + in + `)`},
		{"room_webhooks", `DELETE FROM room_webhooks WHERE room_id IN (` + in + `)`},
		{"rooms", `DELETE FROM rooms WHERE id IN (` + in + `)`},
	} {
		res, err := tx.ExecContext(ctx, d.q, ids...)
		if err != nil {
			return nil, fmt.Errorf("prune rooms: %s: %w", d.table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("prune rooms: %s: %w", d.table, err)
		}
		out[d.table] = int(n)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("prune rooms: commit: %w", err)
	}
	return out, nil
}

// PruneOutbox deletes up to limit delivered or dead rows created before
// before.
func (s *SQLite) PruneOutbox(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := pruneLimit(limit)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, state := range []string{OutboxDelivered, OutboxDead} {
		if total >= limit {
			break
		}
		res, err := s.w.ExecContext(ctx, `DELETE FROM outbox WHERE id IN
			(SELECT id FROM outbox WHERE state = ? AND created_at < ? LIMIT ?)`, state, before.UnixNano(), limit-total)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		total += int(n)
	}
	return total, nil
}

// PruneInbox deletes up to limit inbox rows delivered before before.
func (s *SQLite) PruneInbox(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := pruneLimit(limit)
	if err != nil {
		return 0, err
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM inbox WHERE id IN
		(SELECT id FROM inbox WHERE created_at < ? LIMIT ?)`, before.UnixNano(), limit)
	if err != nil {
		return 0, fmt.Errorf("prune inbox: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune inbox: %w", err)
	}
	return int(n), nil
}
