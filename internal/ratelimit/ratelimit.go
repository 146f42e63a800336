// Package ratelimit is a token bucket per key (a client address), with a
// bound on how many keys it remembers.
package ratelimit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// MaxTracked bounds how many keys a limiter remembers, so a flood from
// many addresses cannot grow memory without end.
const MaxTracked = 10000

// Keyed is a token bucket per key.
type Keyed struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	clients map[string]*client
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows each key perSecond events on average and burst at once.
func New(perSecond float64, burst int) *Keyed {
	return &Keyed{every: rate.Limit(perSecond), burst: burst, clients: map[string]*client{}}
}

// Allow takes a token for key, or says how long until one is free.
func (l *Keyed) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[key]
	if !ok {
		if len(l.clients) >= MaxTracked {
			l.forget(now)
		}
		c = &client{lim: rate.NewLimiter(l.every, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forget drops keys idle for a minute, or, if every one is busy, half of
// them: a refill for a forgotten key is only generous, never unsafe.
func (l *Keyed) forget(now time.Time) {
	for key, c := range l.clients {
		if now.Sub(c.seen) > time.Minute {
			delete(l.clients, key)
		}
	}
	for key := range l.clients {
		if len(l.clients) < MaxTracked/2 {
			break
		}
		delete(l.clients, key)
	}
}

// Len is how many keys the limiter remembers.
func (l *Keyed) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}
