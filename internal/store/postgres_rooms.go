package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rooms-dev/rooms/internal/room"
)

// CreateRoom stores r; ErrExists if r.ID is taken.
func (s *Postgres) CreateRoom(ctx context.Context, r room.Room) error {
	return s.CreateRoomWith(ctx, r, Recipients{}, nil)
}

// CreateRoomWith stores r with its invitees, webhooks and outbox rows in
// one transaction.
func (s *Postgres) CreateRoomWith(ctx context.Context, r room.Room, rc Recipients, outbox []OutboxItem) error {
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, pg(`INSERT INTO rooms (`+roomColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`), args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrExists
		}
		if err := pgAddInvites(ctx, tx, r.ID, rc.Invites); err != nil {
			return err
		}
		for _, w := range rc.Webhooks {
			if err := pgAddRoomWebhook(ctx, tx, r.ID, w); err != nil {
				return err
			}
		}
		_, err = pgEnqueue(ctx, tx, outbox, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	return nil
}

// GetRoom returns the room with this id, or ErrNotFound.
func (s *Postgres) GetRoom(ctx context.Context, id string) (room.Room, error) {
	r, err := scanRoom(s.pool.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return room.Room{}, fmt.Errorf("get room %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return room.Room{}, fmt.Errorf("get room %q: %w", id, err)
	}
	return r, nil
}

// UpdateRoom runs fn on the room inside one transaction holding the room's
// row lock.
func (s *Postgres) UpdateRoom(ctx context.Context, id string, fn func(*room.Room) error) (room.Room, error) {
	return s.updateRoom(ctx, id, false, func(r *room.Room, _ Recipients) ([]OutboxItem, error) { return nil, fn(r) })
}

// UpdateRoomWith runs fn on the room and its recipients and enqueues the
// rows fn returns, in one transaction.
func (s *Postgres) UpdateRoomWith(ctx context.Context, id string, fn func(*room.Room, Recipients) ([]OutboxItem, error)) (room.Room, error) {
	return s.updateRoom(ctx, id, true, fn)
}

// errFn carries fn's own error out of the transaction unwrapped.
type errFn struct{ err error }

func (e errFn) Error() string { return e.err.Error() }

func (s *Postgres) updateRoom(ctx context.Context, id string, withRecipients bool, fn func(*room.Room, Recipients) ([]OutboxItem, error)) (room.Room, error) {
	var out room.Room
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// FOR UPDATE: a concurrent update of the same room waits here, so
		// read-modify-write never loses a change.
		r, err := scanRoom(tx.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		var rc Recipients
		if withRecipients {
			if rc.Invites, err = pgInvites(ctx, tx, id); err != nil {
				return err
			}
			if rc.Webhooks, err = pgRoomWebhooks(ctx, tx, id); err != nil {
				return err
			}
		}
		outbox, err := fn(&r, rc)
		if err != nil {
			return errFn{err}
		}
		if r.ID != id {
			return fmt.Errorf("fn changed the id to %q", r.ID)
		}
		now := s.now()
		r.UpdatedAt = now
		r = normalize(r)
		args, err := roomArgs(r)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, pg(`UPDATE rooms SET
			name = ?, theme = ?, visibility = ?, locked = ?, capacity = ?, state = ?, starts_at = ?,
			time_zone = ?, duration_ns = ?, host_key_hash = ?, created_at = ?, updated_at = ?, ended_at = ?,
			remind_ns = ?, max_screen_shares = ?
			WHERE id = ?`), append(args[1:], id)...)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if _, err := pgEnqueue(ctx, tx, outbox, now); err != nil {
			return err
		}
		out = r
		return nil
	})
	var fe errFn
	if errors.As(err, &fe) {
		return room.Room{}, fe.err
	}
	if err != nil {
		return room.Room{}, fmt.Errorf("update room %q: %w", id, err)
	}
	return out, nil
}

// ListRooms returns rooms matching f ordered by StartsAt (zero first) then ID.
func (s *Postgres) ListRooms(ctx context.Context, f ListFilter) ([]room.Room, error) {
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
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		where = append(where, "state = ANY(?)")
		args = append(args, states)
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
		where = append(where, "id = ANY(?)")
		args = append(args, f.IDs)
	}
	q := `SELECT ` + roomColumns + ` FROM rooms`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	// SQLite sorts NULL (the zero StartsAt) first; PostgreSQL last unless told.
	q += ` ORDER BY starts_at NULLS FIRST, id COLLATE "C" LIMIT ?`
	args = append(args, limit)

	rows, err := s.pool.Query(ctx, pg(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list rooms: %w", err)
	}
	defer rows.Close()
	out := []room.Room{}
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

// CountRooms returns how many rooms are in each stored state.
func (s *Postgres) CountRooms(ctx context.Context) (map[room.State]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM rooms GROUP BY state`)
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

// Ban keeps publicKey out of roomID.
func (s *Postgres) Ban(ctx context.Context, roomID, publicKey, name string) error {
	// Inserting only when the room exists, in one statement, so a room
	// deleted meanwhile cannot end up with a ban.
	tag, err := s.pool.Exec(ctx, `INSERT INTO bans (room_id, public_key, name, created_at)
		SELECT id, $2, $3, $4 FROM rooms WHERE id = $1
		ON CONFLICT (room_id, public_key) DO NOTHING`, roomID, publicKey, name, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("ban in room %q: %w", roomID, err)
	}
	if tag.RowsAffected() == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM rooms WHERE id = $1)`, roomID).Scan(&exists); err != nil {
			return fmt.Errorf("ban in room %q: %w", roomID, err)
		}
		if !exists {
			return fmt.Errorf("ban in room %q: %w", roomID, ErrNotFound)
		}
	}
	return nil
}

// IsBanned says whether publicKey is banned from roomID.
func (s *Postgres) IsBanned(ctx context.Context, roomID, publicKey string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bans WHERE room_id = $1 AND public_key = $2)`, roomID, publicKey).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check ban in room %q: %w", roomID, err)
	}
	return ok, nil
}

// AddMember records that publicKey has been in roomID's call.
func (s *Postgres) AddMember(ctx context.Context, roomID, publicKey string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO members (room_id, public_key, first_joined_at) VALUES ($1, $2, $3)
		ON CONFLICT (room_id, public_key) DO NOTHING`, roomID, publicKey, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("add member to room %q: %w", roomID, err)
	}
	return nil
}

// IsMember says whether publicKey has been in roomID's call.
func (s *Postgres) IsMember(ctx context.Context, roomID, publicKey string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM members WHERE room_id = $1 AND public_key = $2)`, roomID, publicKey).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check member of room %q: %w", roomID, err)
	}
	return ok, nil
}

// UseNonce records a signed request's nonce, or says it was seen.
func (s *Postgres) UseNonce(ctx context.Context, publicKey, nonce string, expires time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM nonces WHERE ctid IN
		(SELECT ctid FROM nonces WHERE expires_at < $1 LIMIT $2)`, s.now().UnixNano(), nonceSweep); err != nil {
		return fmt.Errorf("forget old nonces: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO nonces (public_key, nonce, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (public_key, nonce) DO NOTHING`, publicKey, nonce, expires.UnixNano())
	if err != nil {
		return fmt.Errorf("record nonce: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrReplay
	}
	return nil
}
