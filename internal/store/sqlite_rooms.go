package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rooms-dev/rooms/internal/room"
)

// List bounds (see ListFilter).
const (
	defaultListLimit = 100
	maxListLimit     = 1000
	maxListIDs       = 1000
)

// CreateRoom stores r, stamping CreatedAt and UpdatedAt from the clock when
// they are zero; ErrExists if r.ID is taken.
func (s *SQLite) CreateRoom(ctx context.Context, r room.Room) error {
	return s.CreateRoomWith(ctx, r, Recipients{}, nil)
}

// CreateRoomWith stores r with its invitees, webhooks and outbox rows in
// one transaction.
func (s *SQLite) CreateRoomWith(ctx context.Context, r room.Room, rc Recipients, outbox []OutboxItem) error {
	if r.ID == "" {
		return errors.New("create room: empty id")
	}
	now := s.now()
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = now
	}
	args, err := roomArgs(r)
	if err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create room %q: begin: %w", r.ID, err)
	}
	defer tx.Rollback()
	// ON CONFLICT DO NOTHING reports a taken id as zero rows rather than a
	// driver-specific constraint error.
	res, err := tx.ExecContext(ctx, `INSERT INTO rooms (`+roomColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, args...)
	if err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("create room %q: %w", r.ID, ErrExists)
	}
	if err := addInvites(ctx, tx, r.ID, rc.Invites); err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	for _, w := range rc.Webhooks {
		if err := addRoomWebhook(ctx, tx, r.ID, w); err != nil {
			return fmt.Errorf("create room %q: %w", r.ID, err)
		}
	}
	if _, err := enqueue(ctx, tx, outbox, now); err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create room %q: commit: %w", r.ID, err)
	}
	return nil
}

// GetRoom returns the room with this id, or ErrNotFound.
func (s *SQLite) GetRoom(ctx context.Context, id string) (room.Room, error) {
	r, err := scanRoom(s.r.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return room.Room{}, fmt.Errorf("get room %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return room.Room{}, fmt.Errorf("get room %q: %w", id, err)
	}
	return r, nil
}

// UpdateRoom runs fn on the room inside one write transaction. fn must not
// call the store's write methods: there is one writer and fn holds it.
func (s *SQLite) UpdateRoom(ctx context.Context, id string, fn func(*room.Room) error) (room.Room, error) {
	return s.updateRoom(ctx, id, false, func(r *room.Room, _ Recipients) ([]OutboxItem, error) { return nil, fn(r) })
}

// UpdateRoomWith runs fn on the room and its recipients inside one write
// transaction and enqueues the rows fn returns in it.
func (s *SQLite) UpdateRoomWith(ctx context.Context, id string, fn func(*room.Room, Recipients) ([]OutboxItem, error)) (room.Room, error) {
	return s.updateRoom(ctx, id, true, fn)
}

func (s *SQLite) updateRoom(ctx context.Context, id string, withRecipients bool, fn func(*room.Room, Recipients) ([]OutboxItem, error)) (room.Room, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return room.Room{}, fmt.Errorf("update room %q: begin: %w", id, err)
	}
	defer tx.Rollback()

	r, err := scanRoom(tx.QueryRowContext(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return room.Room{}, fmt.Errorf("update room %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return room.Room{}, fmt.Errorf("update room %q: read: %w", id, err)
	}
	var rc Recipients
	if withRecipients {
		if rc.Invites, err = invites(ctx, tx, id); err != nil {
			return room.Room{}, fmt.Errorf("update room %q: %w", id, err)
		}
		if rc.Webhooks, err = roomWebhooks(ctx, tx, id); err != nil {
			return room.Room{}, fmt.Errorf("update room %q: %w", id, err)
		}
	}
	outbox, err := fn(&r, rc)
	if err != nil {
		return room.Room{}, err
	}
	if r.ID != id {
		return room.Room{}, fmt.Errorf("update room %q: fn changed the id to %q", id, r.ID)
	}
	now := s.now()
	r.UpdatedAt = now
	r = normalize(r)
	args, err := roomArgs(r)
	if err != nil {
		return room.Room{}, fmt.Errorf("update room %q: %w", id, err)
	}
	// roomArgs starts with id; the SET list takes the rest and id goes last
	// for the WHERE.
	_, err = tx.ExecContext(ctx, `UPDATE rooms SET
		name = ?, theme = ?, visibility = ?, locked = ?, capacity = ?, state = ?, starts_at = ?,
		time_zone = ?, duration_ns = ?, host_key_hash = ?, created_at = ?, updated_at = ?, ended_at = ?,
		remind_ns = ?, max_screen_shares = ?
		WHERE id = ?`, append(args[1:], id)...)
	if err != nil {
		return room.Room{}, fmt.Errorf("update room %q: write: %w", id, err)
	}
	if _, err := enqueue(ctx, tx, outbox, now); err != nil {
		return room.Room{}, fmt.Errorf("update room %q: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return room.Room{}, fmt.Errorf("update room %q: commit: %w", id, err)
	}
	return r, nil
}

// ListRooms returns rooms matching f ordered by StartsAt then ID. A zero
// StartsAt sorts first.
func (s *SQLite) ListRooms(ctx context.Context, f ListFilter) ([]room.Room, error) {
	limit, err := listLimit(f)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	var (
		where []string
		args  []any
	)
	if f.Visibility != "" {
		where = append(where, "visibility = ?")
		args = append(args, string(f.Visibility))
	}
	if len(f.States) > 0 {
		where = append(where, "state IN ("+placeholders(len(f.States))+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if !f.StartsBefore.IsZero() {
		where = append(where, "starts_at < ?")
		args = append(args, f.StartsBefore.UnixNano())
	}
	if !f.LiveAt.IsZero() {
		where = append(where, "(duration_ns = 0 OR starts_at + duration_ns > ?)")
		args = append(args, f.LiveAt.UnixNano())
	}
	if len(f.IDs) > 0 {
		where = append(where, "id IN ("+placeholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	q := `SELECT ` + roomColumns + ` FROM rooms`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY starts_at, id LIMIT ?`
	args = append(args, limit)

	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	defer rows.Close()
	out := []room.Room{} // empty, not nil, so it encodes as [] not null
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, fmt.Errorf("list rooms: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	return out, nil
}

// listLimit applies ListFilter's bounds: 0 is the default, more than the
// maximum is clamped, and too many IDs is refused because clamping them
// would silently drop rooms the caller asked for.
func listLimit(f ListFilter) (int, error) {
	if len(f.IDs) > maxListIDs {
		return 0, fmt.Errorf("%d ids in filter, at most %d", len(f.IDs), maxListIDs)
	}
	switch {
	case f.Limit < 0:
		return 0, fmt.Errorf("negative limit %d", f.Limit)
	case f.Limit == 0:
		return defaultListLimit, nil
	case f.Limit > maxListLimit:
		return maxListLimit, nil
	}
	return f.Limit, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// CountRooms returns how many rooms are in each stored state; the three
// known states are always present, with 0 when there are none.
func (s *SQLite) CountRooms(ctx context.Context) (map[room.State]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT state, count(*) FROM rooms GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count rooms: %w", err)
	}
	defer rows.Close()
	counts := map[room.State]int{room.Scheduled: 0, room.Open: 0, room.Ended: 0}
	for rows.Next() {
		var (
			st string
			n  int
		)
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count rooms: %w", err)
		}
		counts[room.State(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count rooms: %w", err)
	}
	return counts, nil
}
