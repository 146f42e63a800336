package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClaimHandle binds handle to publicKey, first come.
func (s *Postgres) ClaimHandle(ctx context.Context, handle, publicKey string) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var owner string
		err := tx.QueryRow(ctx, `SELECT public_key FROM handles WHERE handle = $1`, handle).Scan(&owner)
		switch {
		case err == nil && owner == publicKey:
			return nil
		case err == nil:
			return ErrHandleTaken
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM handles WHERE public_key = $1`, publicKey); err != nil {
			return err
		}
		// The handle is new to this key: an earlier owner's inbox is not
		// the new owner's to read.
		if _, err := tx.Exec(ctx, `DELETE FROM inbox WHERE handle = $1`, handle); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO handles (handle, public_key, created_at) VALUES ($1, $2, $3)`,
			handle, publicKey, s.now().UnixNano())
		if isUniqueViolation(err) {
			// Another key claimed it between our read and this insert.
			return ErrHandleTaken
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("claim handle %q: %w", handle, err)
	}
	return nil
}

// HandleOf is the handle bound to publicKey, or "".
func (s *Postgres) HandleOf(ctx context.Context, publicKey string) (string, error) {
	var h string
	err := s.pool.QueryRow(ctx, `SELECT handle FROM handles WHERE public_key = $1`, publicKey).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find handle: %w", err)
	}
	return h, nil
}

// HandleExists says whether a handle is claimed.
func (s *Postgres) HandleExists(ctx context.Context, handle string) (bool, error) {
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM handles WHERE handle = $1)`, handle).Scan(&ok); err != nil {
		return false, fmt.Errorf("check handle %q: %w", handle, err)
	}
	return ok, nil
}

// ReleaseHandle frees publicKey's handle.
func (s *Postgres) ReleaseHandle(ctx context.Context, publicKey string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM handles WHERE public_key = $1`, publicKey); err != nil {
		return fmt.Errorf("release handle: %w", err)
	}
	return nil
}

// AddInvites records a room's invitees.
func (s *Postgres) AddInvites(ctx context.Context, roomID string, invitees []Invitee) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return pgAddInvites(ctx, tx, roomID, invitees) })
}

func pgAddInvites(ctx context.Context, q pgQuerier, roomID string, invitees []Invitee) error {
	for _, iv := range invitees {
		if _, err := q.Exec(ctx, `INSERT INTO invites (room_id, kind, address) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, roomID, iv.Kind, iv.Address); err != nil {
			return fmt.Errorf("add invites to room %q: %w", roomID, err)
		}
	}
	return nil
}

// Invites lists a room's invitees.
func (s *Postgres) Invites(ctx context.Context, roomID string) ([]Invitee, error) {
	return pgInvites(ctx, s.pool, roomID)
}

func pgInvites(ctx context.Context, q pgQuerier, roomID string) ([]Invitee, error) {
	rows, err := q.Query(ctx, `SELECT kind, address FROM invites WHERE room_id = $1
		ORDER BY kind COLLATE "C", address COLLATE "C"`, roomID)
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	defer rows.Close()
	out := []Invitee{}
	for rows.Next() {
		var iv Invitee
		if err := rows.Scan(&iv.Kind, &iv.Address); err != nil {
			return nil, fmt.Errorf("list invites: %w", err)
		}
		out = append(out, iv)
	}
	return out, rows.Err()
}

// AddRoomWebhook records a webhook for a room.
func (s *Postgres) AddRoomWebhook(ctx context.Context, roomID string, w RoomWebhook) error {
	return pgAddRoomWebhook(ctx, s.pool, roomID, w)
}

func pgAddRoomWebhook(ctx context.Context, q pgQuerier, roomID string, w RoomWebhook) error {
	secret := w.Secret
	if secret == nil {
		secret = []byte{} // NOT NULL, as SQLite stores an empty blob
	}
	if _, err := q.Exec(ctx, `INSERT INTO room_webhooks (room_id, url, secret) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, roomID, w.URL, secret); err != nil {
		return fmt.Errorf("add webhook to room %q: %w", roomID, err)
	}
	return nil
}

// RoomWebhooks lists a room's webhooks.
func (s *Postgres) RoomWebhooks(ctx context.Context, roomID string) ([]RoomWebhook, error) {
	return pgRoomWebhooks(ctx, s.pool, roomID)
}

func pgRoomWebhooks(ctx context.Context, q pgQuerier, roomID string) ([]RoomWebhook, error) {
	rows, err := q.Query(ctx, `SELECT url, secret FROM room_webhooks WHERE room_id = $1 ORDER BY url COLLATE "C"`, roomID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	defer rows.Close()
	out := []RoomWebhook{}
	for rows.Next() {
		var w RoomWebhook
		if err := rows.Scan(&w.URL, &w.Secret); err != nil {
			return nil, fmt.Errorf("list webhooks: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Enqueue adds notifications, skipping duplicates.
func (s *Postgres) Enqueue(ctx context.Context, items []OutboxItem) (int, error) {
	var added int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		added, err = pgEnqueue(ctx, tx, items, s.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	return added, nil
}

func pgEnqueue(ctx context.Context, q pgQuerier, items []OutboxItem, now time.Time) (int, error) {
	added := 0
	for _, it := range items {
		next := it.NextAttemptAt.UnixNano()
		if it.NextAttemptAt.IsZero() {
			next = now.UnixNano()
		}
		tag, err := q.Exec(ctx, `INSERT INTO outbox (event_id, room_id, channel, recipient, type, payload, state, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id, channel, recipient) DO NOTHING`,
			it.EventID, it.RoomID, it.Channel, it.Recipient, it.Type, string(it.Payload), OutboxPending, next, now.UnixNano())
		if err != nil {
			return 0, fmt.Errorf("enqueue %s: %w", it.EventID, err)
		}
		added += int(tag.RowsAffected())
	}
	return added, nil
}

func pgOutboxRows(rows pgx.Rows) ([]OutboxItem, error) {
	defer rows.Close()
	out := []OutboxItem{}
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// Claim leases due items to owner. SKIP LOCKED lets deliverers on several
// nodes claim at once without waiting on each other's rows.
func (s *Postgres) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error) {
	rows, err := s.pool.Query(ctx, `UPDATE outbox SET lease_owner = $1, lease_until = $2
		WHERE id IN (SELECT id FROM outbox WHERE state = $3 AND next_attempt_at <= $4
			AND (lease_until IS NULL OR lease_until < $4)
			ORDER BY next_attempt_at, id LIMIT $5 FOR UPDATE SKIP LOCKED)
		RETURNING `+outboxColumns, owner, now.Add(lease).UnixNano(), OutboxPending, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	out, err := pgOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Delivered marks an item delivered; inbox items land in the inbox in the
// same transaction.
func (s *Postgres) Delivered(ctx context.Context, id int64, owner string, now time.Time) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		it, err := scanOutbox(tx.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox
			WHERE id = $1 AND lease_owner = $2 AND state = $3 FOR UPDATE`, id, owner, OutboxPending))
		if errors.Is(err, pgx.ErrNoRows) {
			return errLeaseLost
		}
		if err != nil {
			return err
		}
		if it.Channel == "inbox" {
			if _, err := tx.Exec(ctx, `INSERT INTO inbox (handle, outbox_id, payload, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (outbox_id) DO NOTHING`, it.Recipient, id, string(it.Payload), now.UnixNano()); err != nil {
				return fmt.Errorf("deliver to inbox: %w", err)
			}
			// Streams on every node hear of it at commit (postgres_shared.go).
			if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, InboxChannel, it.Recipient); err != nil {
				return fmt.Errorf("tell the nodes of the inbox delivery: %w", err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE outbox SET state = $1, attempts = attempts + 1, delivered_at = $2,
			lease_owner = NULL, lease_until = NULL, last_error = '' WHERE id = $3`, OutboxDelivered, now.UnixNano(), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark %d delivered: %w", id, err)
	}
	return nil
}

// Failed records a failed attempt.
func (s *Postgres) Failed(ctx context.Context, id int64, owner string, next time.Time, dead bool, reason string) error {
	state := OutboxPending
	if dead {
		state = OutboxDead
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
		lease_owner = NULL, lease_until = NULL WHERE id = $4 AND lease_owner = $5`, state, next.UnixNano(), reason, id, owner)
	if err != nil {
		return fmt.Errorf("record failed delivery %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record failed delivery %d: %w", id, errLeaseLost)
	}
	return nil
}

// Redeliver makes the named webhook deliveries of a room due again at now.
func (s *Postgres) Redeliver(ctx context.Context, roomID string, ids []int64, now time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET state = $1, attempts = 0, next_attempt_at = $2, delivered_at = NULL,
		lease_owner = NULL, lease_until = NULL
		WHERE id = ANY($3) AND room_id = $4 AND channel = 'webhook' AND (lease_until IS NULL OR lease_until <= $2)`,
		OutboxPending, now.UnixNano(), ids, roomID)
	if err != nil {
		return 0, fmt.Errorf("redeliver: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Deliveries lists a room's notifications, newest first.
func (s *Postgres) Deliveries(ctx context.Context, roomID string, limit int) ([]OutboxItem, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE room_id = $1 ORDER BY id DESC LIMIT $2`, roomID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	out, err := pgOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	return out, nil
}

// NextDue is when the earliest pending item is due.
func (s *Postgres) NextDue(ctx context.Context) (time.Time, error) {
	var next *int64
	if err := s.pool.QueryRow(ctx, `SELECT MIN(next_attempt_at) FROM outbox WHERE state = $1`, OutboxPending).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("next due: %w", err)
	}
	if next == nil {
		return time.Time{}, nil
	}
	return time.Unix(0, *next).UTC(), nil
}

// Inbox lists a handle's notifications after afterID.
func (s *Postgres) Inbox(ctx context.Context, handle string, afterID int64, limit int) ([]InboxItem, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT id, handle, payload, created_at FROM inbox WHERE handle = $1 AND id > $2 ORDER BY id LIMIT $3`,
		handle, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read inbox: %w", err)
	}
	defer rows.Close()
	out := []InboxItem{}
	for rows.Next() {
		var it InboxItem
		var payload string
		var created int64
		if err := rows.Scan(&it.ID, &it.Handle, &payload, &created); err != nil {
			return nil, fmt.Errorf("read inbox: %w", err)
		}
		it.Payload, it.CreatedAt = []byte(payload), time.Unix(0, created).UTC()
		out = append(out, it)
	}
	return out, rows.Err()
}
