package api

import (
	"time"

	"github.com/rooms-dev/rooms/internal/ratelimit"
)

// limiter is a token bucket per client address (clientKey).
type limiter struct{ k *ratelimit.Keyed }

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{k: ratelimit.New(perSecond, burst)}
}

// allow takes a token for key, or says how long until one is free.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	return l.k.Allow(key, now)
}
