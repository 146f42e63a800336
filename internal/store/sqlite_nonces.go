package store

import (
	"context"
	"fmt"
	"time"
)

// nonceSweep bounds how many expired nonces one UseNonce deletes, so the
// table stays small without a pass that holds the writer long.
const nonceSweep = 100

// UseNonce records a signed request's nonce, or says it was seen.
func (s *SQLite) UseNonce(ctx context.Context, publicKey, nonce string, expires time.Time) error {
	now := s.now().UnixNano()
	if _, err := s.w.ExecContext(ctx, `DELETE FROM nonces WHERE rowid IN
		(SELECT rowid FROM nonces WHERE expires_at < ? LIMIT ?)`, now, nonceSweep); err != nil {
		return fmt.Errorf("forget old nonces: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO nonces (public_key, nonce, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (public_key, nonce) DO NOTHING`, publicKey, nonce, expires.UnixNano())
	if err != nil {
		return fmt.Errorf("record nonce: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record nonce: %w", err)
	} else if n == 0 {
		return ErrReplay
	}
	return nil
}
