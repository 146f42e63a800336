package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxTracked bounds how many client addresses a limiter remembers, so a
// flood from many addresses cannot grow memory without end.
const maxTracked = 10000

// limiter is a token bucket per client address.
type limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	clients map[string]*client
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{every: rate.Limit(perSecond), burst: burst, clients: map[string]*client{}}
}

// allow takes a token for addr, or says how long until one is free.
func (l *limiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.clients[addr]
	if !ok {
		if len(l.clients) >= maxTracked {
			l.forget(now)
		}
		c = &client{lim: rate.NewLimiter(l.every, l.burst)}
		l.clients[addr] = c
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

// forget drops clients idle for a minute, or, if every one is busy, half
// of them: a refill for a forgotten client is only generous, never unsafe.
func (l *limiter) forget(now time.Time) {
	for addr, c := range l.clients {
		if now.Sub(c.seen) > time.Minute {
			delete(l.clients, addr)
		}
	}
	for addr := range l.clients {
		if len(l.clients) < maxTracked/2 {
			break
		}
		delete(l.clients, addr)
	}
}
