package api

import "sync/atomic"

// live holds what SIGHUP may change while the server runs (roomsd's
// reload): the create token, the operator's webhooks and the rate limits.
// Each is one atomic load on the request path.
type live struct {
	createToken    atomic.Pointer[string]
	serverWebhooks atomic.Pointer[[]string]
	general        atomic.Pointer[limiter]
	creates        atomic.Pointer[limiter]
}

// SetCreateToken replaces the token creating rooms needs ("" needs none);
// requests already past the check finish with the old one.
func (s *Server) SetCreateToken(tok string) { s.live.createToken.Store(&tok) }

// SetServerWebhooks replaces the list of the operator's webhook URLs,
// which room hosts see only as such.
func (s *Server) SetServerWebhooks(urls []string) {
	urls = append([]string(nil), urls...)
	s.live.serverWebhooks.Store(&urls)
}

// SetRate replaces the per-address request and creation limits. The new
// buckets start full: a reload forgives whoever was being slowed.
func (s *Server) SetRate(r Rate) {
	if r == (Rate{}) {
		r = DefaultRate
	}
	s.live.general.Store(newLimiter(r.PerSecond, r.Burst))
	s.live.creates.Store(newLimiter(r.CreatesPerMinute/60, r.CreateBurst))
}

func (s *Server) createToken() string      { return *s.live.createToken.Load() }
func (s *Server) serverWebhooks() []string { return *s.live.serverWebhooks.Load() }
