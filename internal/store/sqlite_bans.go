package store

import (
	"context"
	"fmt"
)

// Ban keeps publicKey out of roomID.
func (s *SQLite) Ban(ctx context.Context, roomID, publicKey, name string) error {
	var exists int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM rooms WHERE id = ?`, roomID).Scan(&exists); err != nil {
		return fmt.Errorf("ban in room %q: %w", roomID, err)
	}
	if exists == 0 {
		return fmt.Errorf("ban in room %q: %w", roomID, ErrNotFound)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO bans (room_id, public_key, name, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (room_id, public_key) DO NOTHING`, roomID, publicKey, name, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("ban in room %q: %w", roomID, err)
	}
	return nil
}

// IsBanned says whether publicKey is banned from roomID.
func (s *SQLite) IsBanned(ctx context.Context, roomID, publicKey string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM bans WHERE room_id = ? AND public_key = ?`, roomID, publicKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check ban in room %q: %w", roomID, err)
	}
	return n > 0, nil
}

// AddMember records that publicKey has been in roomID's call.
func (s *SQLite) AddMember(ctx context.Context, roomID, publicKey string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO members (room_id, public_key, first_joined_at) VALUES (?, ?, ?)
		ON CONFLICT (room_id, public_key) DO NOTHING`, roomID, publicKey, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("add member to room %q: %w", roomID, err)
	}
	return nil
}

// IsMember says whether publicKey has been in roomID's call.
func (s *SQLite) IsMember(ctx context.Context, roomID, publicKey string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE room_id = ? AND public_key = ?`, roomID, publicKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check member of room %q: %w", roomID, err)
	}
	return n > 0, nil
}
