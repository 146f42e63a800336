package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ClaimHandle binds handle to publicKey, first come.
func (s *SQLite) ClaimHandle(ctx context.Context, handle, publicKey string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("claim handle: %w", err)
	}
	defer tx.Rollback()
	var owner string
	err = tx.QueryRowContext(ctx, `SELECT public_key FROM handles WHERE handle = ?`, handle).Scan(&owner)
	switch {
	case err == nil && owner == publicKey:
		return nil
	case err == nil:
		return fmt.Errorf("claim handle %q: %w", handle, ErrHandleTaken)
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("claim handle %q: %w", handle, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM handles WHERE public_key = ?`, publicKey); err != nil {
		return fmt.Errorf("claim handle %q: %w", handle, err)
	}
	// The handle is new to this key: what an earlier owner was sent is
	// not the new owner's to read.
	if _, err := tx.ExecContext(ctx, `DELETE FROM inbox WHERE handle = ?`, handle); err != nil {
		return fmt.Errorf("claim handle %q: %w", handle, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO handles (handle, public_key, created_at) VALUES (?, ?, ?)`,
		handle, publicKey, s.now().UnixNano()); err != nil {
		return fmt.Errorf("claim handle %q: %w", handle, err)
	}
	return tx.Commit()
}

// HandleOf is the handle bound to publicKey, or "".
func (s *SQLite) HandleOf(ctx context.Context, publicKey string) (string, error) {
	var h string
	err := s.r.QueryRowContext(ctx, `SELECT handle FROM handles WHERE public_key = ?`, publicKey).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find handle: %w", err)
	}
	return h, nil
}

// HandleExists says whether a handle is claimed.
func (s *SQLite) HandleExists(ctx context.Context, handle string) (bool, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM handles WHERE handle = ?`, handle).Scan(&n); err != nil {
		return false, fmt.Errorf("check handle %q: %w", handle, err)
	}
	return n > 0, nil
}

// ReleaseHandle frees publicKey's handle.
func (s *SQLite) ReleaseHandle(ctx context.Context, publicKey string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM handles WHERE public_key = ?`, publicKey); err != nil {
		return fmt.Errorf("release handle: %w", err)
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer, so the helpers below
// run alone or inside a larger transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// AddInvites records a room's invitees.
func (s *SQLite) AddInvites(ctx context.Context, roomID string, invitees []Invitee) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add invites: %w", err)
	}
	defer tx.Rollback()
	if err := addInvites(ctx, tx, roomID, invitees); err != nil {
		return err
	}
	return tx.Commit()
}

func addInvites(ctx context.Context, q querier, roomID string, invitees []Invitee) error {
	for _, iv := range invitees {
		if _, err := q.ExecContext(ctx, `INSERT INTO invites (room_id, kind, address) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, roomID, iv.Kind, iv.Address); err != nil {
			return fmt.Errorf("add invites to room %q: %w", roomID, err)
		}
	}
	return nil
}

// Invites lists a room's invitees.
func (s *SQLite) Invites(ctx context.Context, roomID string) ([]Invitee, error) {
	return invites(ctx, s.r, roomID)
}

func invites(ctx context.Context, q querier, roomID string) ([]Invitee, error) {
	rows, err := q.QueryContext(ctx, `SELECT kind, address FROM invites WHERE room_id = ? ORDER BY kind, address`, roomID)
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
func (s *SQLite) AddRoomWebhook(ctx context.Context, roomID string, w RoomWebhook) error {
	return addRoomWebhook(ctx, s.w, roomID, w)
}

func addRoomWebhook(ctx context.Context, q querier, roomID string, w RoomWebhook) error {
	if _, err := q.ExecContext(ctx, `INSERT INTO room_webhooks (room_id, url, secret) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, roomID, w.URL, w.Secret); err != nil {
		return fmt.Errorf("add webhook to room %q: %w", roomID, err)
	}
	return nil
}

// RoomWebhooks lists a room's webhooks.
func (s *SQLite) RoomWebhooks(ctx context.Context, roomID string) ([]RoomWebhook, error) {
	return roomWebhooks(ctx, s.r, roomID)
}

func roomWebhooks(ctx context.Context, q querier, roomID string) ([]RoomWebhook, error) {
	rows, err := q.QueryContext(ctx, `SELECT url, secret FROM room_webhooks WHERE room_id = ? ORDER BY url`, roomID)
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
func (s *SQLite) Enqueue(ctx context.Context, items []OutboxItem) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("enqueue: %w", err)
	}
	defer tx.Rollback()
	added, err := enqueue(ctx, tx, items, s.now())
	if err != nil {
		return 0, err
	}
	return added, tx.Commit()
}

// enqueue inserts items in q's transaction, skipping duplicates; a zero
// NextAttemptAt is now.
func enqueue(ctx context.Context, q querier, items []OutboxItem, now time.Time) (int, error) {
	added := 0
	for _, it := range items {
		next := it.NextAttemptAt.UnixNano()
		if it.NextAttemptAt.IsZero() {
			next = now.UnixNano()
		}
		res, err := q.ExecContext(ctx, `INSERT INTO outbox (event_id, room_id, channel, recipient, type, payload, state, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, channel, recipient) DO NOTHING`,
			it.EventID, it.RoomID, it.Channel, it.Recipient, it.Type, string(it.Payload), OutboxPending, next, now.UnixNano())
		if err != nil {
			return 0, fmt.Errorf("enqueue %s: %w", it.EventID, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

const outboxColumns = `id, event_id, room_id, channel, recipient, type, payload, state, attempts, next_attempt_at, last_error, created_at, delivered_at`

func scanOutbox(sc scanner) (OutboxItem, error) {
	var it OutboxItem
	var payload string
	var next, created int64
	var delivered sql.NullInt64
	if err := sc.Scan(&it.ID, &it.EventID, &it.RoomID, &it.Channel, &it.Recipient, &it.Type, &payload, &it.State,
		&it.Attempts, &next, &it.LastError, &created, &delivered); err != nil {
		return it, err
	}
	it.Payload = []byte(payload)
	it.NextAttemptAt = time.Unix(0, next).UTC()
	it.CreatedAt = time.Unix(0, created).UTC()
	it.DeliveredAt = decodeTime(delivered)
	return it, nil
}

// Claim leases due items to owner.
func (s *SQLite) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id FROM outbox WHERE state = ? AND next_attempt_at <= ?
		AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?`,
		OutboxPending, now.UnixNano(), now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return nil, nil
	}
	in := placeholders(len(ids))
	args := append([]any{owner, now.Add(lease).UnixNano()}, ids...)
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE id IN (`+in+`)`, args...); err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id IN (`+in+`) ORDER BY id`, ids...)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim: %w", err)
		}
		out = append(out, it)
	}
	rows.Close()
	return out, tx.Commit()
}

// errLeaseLost means the item's lease ran out and another owner has it.
var errLeaseLost = errors.New("lease lost")

// Delivered marks an item delivered; inbox items land in the inbox in the
// same transaction.
func (s *SQLite) Delivered(ctx context.Context, id int64, owner string, now time.Time) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark delivered: %w", err)
	}
	defer tx.Rollback()
	it, err := scanOutbox(tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ? AND lease_owner = ? AND state = ?`, id, owner, OutboxPending))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("mark %d delivered: %w", id, errLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("mark %d delivered: %w", id, err)
	}
	if it.Channel == "inbox" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO inbox (handle, outbox_id, payload, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (outbox_id) DO NOTHING`, it.Recipient, id, string(it.Payload), now.UnixNano()); err != nil {
			return fmt.Errorf("deliver to inbox: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, attempts = attempts + 1, delivered_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ''
		WHERE id = ?`, OutboxDelivered, now.UnixNano(), id); err != nil {
		return fmt.Errorf("mark %d delivered: %w", id, err)
	}
	return tx.Commit()
}

// Failed records a failed attempt.
func (s *SQLite) Failed(ctx context.Context, id int64, owner string, next time.Time, dead bool, reason string) error {
	state := OutboxPending
	if dead {
		state = OutboxDead
	}
	if len(reason) > 500 {
		reason = reason[:500]
	}
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?,
		lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?`, state, next.UnixNano(), reason, id, owner)
	if err != nil {
		return fmt.Errorf("record failed delivery %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("record failed delivery %d: %w", id, errLeaseLost)
	}
	return nil
}

// Redeliver makes the named webhook deliveries of a room due again at now.
func (s *SQLite) Redeliver(ctx context.Context, roomID string, ids []int64, now time.Time) (int, error) {
	n := 0
	for _, id := range ids {
		res, err := s.w.ExecContext(ctx, `UPDATE outbox SET state = ?, attempts = 0, next_attempt_at = ?, delivered_at = NULL,
			lease_owner = NULL, lease_until = NULL
			WHERE id = ? AND room_id = ? AND channel = 'webhook' AND (lease_until IS NULL OR lease_until <= ?)`,
			OutboxPending, now.UnixNano(), id, roomID, now.UnixNano())
		if err != nil {
			return n, fmt.Errorf("redeliver %d: %w", id, err)
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// Deliveries lists a room's notifications, newest first.
func (s *SQLite) Deliveries(ctx context.Context, roomID string, limit int) ([]OutboxItem, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE room_id = ? ORDER BY id DESC LIMIT ?`, roomID, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	out := []OutboxItem{}
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// NextDue is when the earliest pending item is due.
func (s *SQLite) NextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM outbox WHERE state = ?`, OutboxPending).Scan(&next); err != nil {
		return time.Time{}, fmt.Errorf("next due: %w", err)
	}
	return decodeTime(next), nil
}

// Inbox lists a handle's notifications after afterID.
func (s *SQLite) Inbox(ctx context.Context, handle string, afterID int64, limit int) ([]InboxItem, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, handle, payload, created_at FROM inbox WHERE handle = ? AND id > ? ORDER BY id LIMIT ?`,
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
