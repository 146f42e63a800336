package signal

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/ratelimit"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Limits bound the call connections (signalling WebSockets) roomsd holds,
// counted by client address (clientaddr: the TCP peer, or behind a trusted
// proxy the address it forwarded for), so one address can neither fill
// rooms with fresh keys nor hold the server's connections. A refused
// connection gets an HTTP problem before the WebSocket is accepted.
type Limits struct {
	// PerAddress is how many connections one address may hold open; 0
	// means no cap.
	PerAddress int
	// Total is how many the whole server holds open; 0 means no cap.
	Total int
	// JoinsPerSecond and JoinBurst bound new connections per address (a
	// token bucket); a JoinsPerSecond of 0 means no bound.
	JoinsPerSecond float64
	JoinBurst      int
}

// DefaultLimits suit a server for friends, a team or a small school: a
// family or an office behind one NAT fits in 20 connections; a whole
// school behind one address needs --max-connections-per-address raised.
// Two joins a second (ten at once) let a household reconnect after a
// restart and slow a script filling a room with fresh keys to a crawl.
var DefaultLimits = Limits{PerAddress: 20, Total: 2000, JoinsPerSecond: 2, JoinBurst: 10}

// Retry-After of refusals whose end cannot be known (someone must leave).
const (
	retryAddressFull = 10 * time.Second
	retryServerFull  = 30 * time.Second
)

// tracker counts open connections per address and in all, and paces new
// ones per address.
type tracker struct {
	now func() time.Time

	mu     sync.Mutex
	limits Limits
	joins  *ratelimit.Keyed // nil: no pace
	open   map[string]int
	total  int
}

func newTracker(l Limits, now func() time.Time) *tracker {
	t := &tracker{now: now, open: map[string]int{}}
	t.setLimits(l)
	return t
}

// setLimits replaces the limits; connections already open stay, even past
// a lowered cap, and the join pace starts afresh.
func (t *tracker) setLimits(l Limits) {
	var joins *ratelimit.Keyed
	if l.JoinsPerSecond > 0 {
		joins = ratelimit.New(l.JoinsPerSecond, max(l.JoinBurst, 1))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.limits, t.joins = l, joins
}

// SetLimits replaces the call connection limits while the server runs
// (roomsd's reload); calls in progress are not touched.
func (h *Handler) SetLimits(l Limits) { h.tracker().setLimits(l) }

// admit takes a place for a new connection from key, or says why not.
// release gives the place back when the connection ends.
func (t *tracker) admit(key string) (release func(), refusal *api.Problem) {
	t.mu.Lock()
	joins := t.joins
	t.mu.Unlock()
	if joins != nil {
		if ok, wait := joins.Allow(key, t.now()); !ok {
			return nil, refuse(http.StatusTooManyRequests, api.CodeRateLimited, wait,
				"too many call connections opened from your address; try again in %d s", seconds(wait))
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.limits.Total > 0 && t.total >= t.limits.Total {
		return nil, refuse(http.StatusServiceUnavailable, api.CodeTooManyConnections, retryServerFull,
			"the server carries as many call connections as it may (%d); try again later", t.limits.Total)
	}
	if t.limits.PerAddress > 0 && t.open[key] >= t.limits.PerAddress {
		return nil, refuse(http.StatusTooManyRequests, api.CodeTooManyConnections, retryAddressFull,
			"your address already holds %d call connections, the most one address may; leave a call first, or ask the operator to raise --max-connections-per-address", t.limits.PerAddress)
	}
	t.open[key]++
	t.total++
	var once sync.Once
	return func() {
		once.Do(func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			t.total--
			if t.open[key]--; t.open[key] <= 0 {
				delete(t.open, key)
			}
		})
	}, nil
}

// Open is how many call connections the server holds open.
func (h *Handler) Open() int {
	t := h.tracker()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

func (h *Handler) tracker() *tracker {
	h.trackOnce.Do(func() {
		now := h.Now
		if now == nil {
			now = time.Now
		}
		h.track = newTracker(h.Limits, now)
	})
	return h.track
}

// admit takes a place for r's connection before the WebSocket is accepted,
// so a refusal costs one small HTTP answer; false means r was answered.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	client := clientaddr.From(r)
	release, refusal := h.tracker().admit(client.Key())
	if refusal != nil {
		if h.Log != nil {
			h.Log.Debug("call connection refused", "client", client.String(), "code", refusal.Code)
		}
		writeRefusal(w, refusal)
		return nil, false
	}
	return release, true
}

func refuse(status int, code api.Code, retry time.Duration, detail string, args ...any) *api.Problem {
	return &api.Problem{
		Type:              api.ProblemType,
		Title:             http.StatusText(status),
		Status:            status,
		Code:              code,
		Detail:            fmt.Sprintf(detail, args...),
		RetryAfterSeconds: seconds(retry),
	}
}

func seconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// writeRefusal answers a refused upgrade with p, a plain HTTP problem the
// client can read before any WebSocket exists.
func writeRefusal(w http.ResponseWriter, p *api.Problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", strconv.Itoa(p.RetryAfterSeconds))
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
