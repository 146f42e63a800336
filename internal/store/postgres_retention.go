package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// PruneRooms deletes up to limit rooms over before, with their rows.
func (s *Postgres) PruneRooms(ctx context.Context, before time.Time, limit int) (Pruned, error) {
	limit, err := pruneLimit(limit)
	if err != nil {
		return nil, err
	}
	out := Pruned{}
	at := before.UnixNano()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var ids []string
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`SELECT id FROM rooms WHERE ended_at < $1 LIMIT $2`, []any{at}},
			{`SELECT id FROM rooms WHERE duration_ns > 0 AND starts_at + duration_ns < $1
				AND (ended_at IS NULL OR ended_at >= $1) LIMIT $2`, []any{at}},
		} {
			if len(ids) >= limit {
				break
			}
			rows, err := tx.Query(ctx, q.sql, append(q.args, limit-len(ids))...)
			if err != nil {
				return fmt.Errorf("find: %w", err)
			}
			found, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("find: %w", err)
			}
			ids = append(ids, found...)
		}
		if len(ids) == 0 {
			return nil
		}
		// Children first, so the counts are exact whatever cascades.
		for _, d := range []struct{ table, q string }{
			{"inbox", `DELETE FROM inbox WHERE outbox_id IN (SELECT id FROM outbox WHERE room_id = ANY($1))`},
			{"outbox", `DELETE FROM outbox WHERE room_id = ANY($1)`},
			{"members", `DELETE FROM members WHERE room_id = ANY($1)`},
			{"bans", `DELETE FROM bans WHERE room_id = ANY($1)`},
			{"invites", `DELETE FROM invites WHERE room_id = ANY($1)`},
			{"room_webhooks", `DELETE FROM room_webhooks WHERE room_id = ANY($1)`},
			{"rooms", `DELETE FROM rooms WHERE id = ANY($1)`},
		} {
			tag, err := tx.Exec(ctx, d.q, ids)
			if err != nil {
				return fmt.Errorf("%s: %w", d.table, err)
			}
			out[d.table] = int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("prune rooms: %w", err)
	}
	return out, nil
}

// PruneOutbox deletes up to limit delivered or dead rows created before
// before.
func (s *Postgres) PruneOutbox(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := pruneLimit(limit)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, state := range []string{OutboxDelivered, OutboxDead} {
		if total >= limit {
			break
		}
		tag, err := s.pool.Exec(ctx, `DELETE FROM outbox WHERE id IN
			(SELECT id FROM outbox WHERE state = $1 AND created_at < $2 LIMIT $3)`, state, before.UnixNano(), limit-total)
		if err != nil {
			return total, fmt.Errorf("prune outbox: %w", err)
		}
		total += int(tag.RowsAffected())
	}
	return total, nil
}

// PruneInbox deletes up to limit inbox rows delivered before before.
func (s *Postgres) PruneInbox(ctx context.Context, before time.Time, limit int) (int, error) {
	limit, err := pruneLimit(limit)
	if err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM inbox WHERE id IN
		(SELECT id FROM inbox WHERE created_at < $1 LIMIT $2)`, before.UnixNano(), limit)
	if err != nil {
		return 0, fmt.Errorf("prune inbox: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
