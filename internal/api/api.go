// Package api serves roomsd's HTTP API: the REST control plane under /v1,
// health and metrics. It turns requests into calls on room's rules and the
// store, and errors into RFC 9457 problems with stable codes.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/roomwire"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// Config is what the API needs from the server.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is the base of links, without a trailing slash.
	PublicURL string
	// MaxParticipants is the server's cap on a room's capacity.
	MaxParticipants int
	// MaxScreenShares is the server's cap on screens shared at once in a
	// call, which rooms may lower; 0 means room.DefaultMaxScreenShares.
	MaxScreenShares int
	// CreateToken, when not empty, must be presented to create rooms.
	CreateToken string
	// Registry receives the API's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// Gatherer serves /metrics; nil means Registry (a cluster node's
	// labels every sample with the node).
	Gatherer prometheus.Gatherer
	// MetricsElsewhere leaves GET /metrics out of the API: the registry is
	// served on a listener of its own (roomsd --metrics-listen).
	MetricsElsewhere bool
	// Rate bounds requests per client address; zero takes DefaultRate.
	Rate Rate
	// Live is the server's live calls; nil means none (the REST API alone).
	Live Live
	// Signal serves a room link's WebSocket upgrade; nil refuses it.
	Signal http.Handler
	// Version is reported by /v1/info.
	Version string
	// Notifier makes rooms' notifications; nil sends none.
	Notifier Notifier
	// Broker wakes inbox streams; nil means no streaming.
	Broker *notify.Broker
	// WebhookAllowPrivate lets room webhooks point at private networks.
	WebhookAllowPrivate bool
	// ServerWebhooks are the operator's; room hosts see them only as such.
	ServerWebhooks []string
	// EmailEnabled says roomsd has a mail server for email invitees.
	EmailEnabled bool
	// TrustedProxies are the proxies whose X-Forwarded-For and
	// X-Forwarded-Proto roomsd believes; the zero value trusts none.
	TrustedProxies clientaddr.Proxies
	// AllowedHosts are names requests may give in Host besides the public
	// URL's, localhost and IP addresses (a LAN name, say).
	AllowedHosts []string
}

// Notifier turns a room event into outbox rows (the scheduler): plain
// values, which the API writes in the transaction that changes the room,
// so the change and its notifications commit together or not at all.
type Notifier interface {
	// Rows are the outbox rows of event typ about r for rc and the
	// server's webhooks; no I/O.
	Rows(r room.Room, typ string, oldAt *time.Time, rc store.Recipients) ([]store.OutboxItem, error)
	// Wake tells the deliverer rows were written.
	Wake()
}

type noNotifier struct{}

func (noNotifier) Rows(room.Room, string, *time.Time, store.Recipients) ([]store.OutboxItem, error) {
	return nil, nil
}
func (noNotifier) Wake() {}

// Rate is a token bucket per client address.
type Rate struct {
	PerSecond float64
	Burst     int
	// Creates bounds room creation separately, per minute.
	CreatesPerMinute float64
	CreateBurst      int
}

// DefaultRate allows a busy script but stops a flood.
var DefaultRate = Rate{PerSecond: 20, Burst: 60, CreatesPerMinute: 30, CreateBurst: 20}

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 16 << 10

// Server is the HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	limits  room.Limits
	metrics *metrics
	live    live
	guard   guard
	mux     *http.ServeMux
	origins origin.Policy
	wire    roomwire.Server
	// closing ends long-lived streams when the server shuts down: they
	// would otherwise hold Shutdown's wait for in-flight requests.
	closing   chan struct{}
	closeOnce sync.Once
}

// CloseStreams ends every inbox stream (at shutdown).
func (s *Server) CloseStreams() { s.closeOnce.Do(func() { close(s.closing) }) }

// New builds the API over cfg.Store.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Rate == (Rate{}) {
		cfg.Rate = DefaultRate
	}
	if cfg.Live == nil {
		cfg.Live = noLive{}
	}
	if cfg.Notifier == nil {
		cfg.Notifier = noNotifier{}
	}
	if cfg.MaxParticipants == 0 {
		cfg.MaxParticipants = room.DefaultCapacity
	}
	if cfg.MaxScreenShares == 0 {
		cfg.MaxScreenShares = room.DefaultMaxScreenShares
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Now,
		limits:  room.Limits{MaxCapacity: cfg.MaxParticipants, MaxScreenShares: cfg.MaxScreenShares},
		metrics: newMetrics(cfg.Registry, cfg.Store),
		guard:   newGuard(cfg.PublicURL, cfg.AllowedHosts),
		mux:     http.NewServeMux(),
		closing: make(chan struct{}),
		wire:    roomwire.Server{PublicURL: cfg.PublicURL, MaxScreenShares: cfg.MaxScreenShares},
	}
	pol, err := origin.New(cfg.PublicURL)
	if err != nil {
		// server.Config.Resolve checked the URL; an API made in a test
		// without one answers to loopback names alone.
		pol, _ = origin.New("http://localhost")
	}
	s.origins = pol
	s.SetCreateToken(cfg.CreateToken)
	s.SetServerWebhooks(cfg.ServerWebhooks)
	s.SetRate(cfg.Rate)
	s.routes()
	return s
}

func (s *Server) routes() {
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	if !s.cfg.MetricsElsewhere {
		var g prometheus.Gatherer = s.cfg.Registry
		if s.cfg.Gatherer != nil {
			g = s.cfg.Gatherer
		}
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	}

	s.handle("GET /v1/info", s.info)
	s.handle("GET /v1/openapi.json", s.openAPI)
	s.handle("GET /v1/themes", s.themes)
	s.handle("POST /v1/rooms", s.createRoom)
	s.handle("GET /v1/rooms", s.listRooms)
	s.handle("POST /v1/rooms/mine", s.mineRooms)
	s.handle("GET /v1/rooms/{id}", s.getRoom)
	s.handle("PATCH /v1/rooms/{id}", s.updateRoom)
	s.handle("POST /v1/rooms/{id}/end", s.endRoom)
	s.handle("GET /v1/rooms/{id}/participants", s.listParticipants)
	s.handle("GET /v1/rooms/{id}/deliveries", s.deliveries)
	s.handle("POST /v1/rooms/{id}/redeliver", s.redeliver)
	s.handle("POST /v1/handles", s.claimHandle)
	s.handle("GET /v1/me", s.whoami)
	s.handle("DELETE /v1/me/handle", s.releaseHandle)
	s.handle("GET /v1/inbox", s.inbox)
	s.handle("GET /v1/inbox/stream", s.inboxStream)
	s.handle("POST /v1/rooms/{id}/participants/{who}/remove", s.removeParticipant)
	s.handle("GET /v1/rooms/{id}/knocks", s.listKnocks)
	s.handle("POST /v1/rooms/{id}/knocks/{knock}/{answer}", s.answerKnock)

	s.handle("GET /r/{id}", s.roomPage)
	s.handle("GET /static/{file...}", s.static)
	s.handle("GET /{$}", s.directoryPage)
	s.handle("/", s.notFound)
}

// handle registers h behind the middleware every API route shares.
func (s *Server) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.mux.Handle(pattern, s.middleware(h))
}

// Live is what the API needs of live calls.
type Live interface {
	// Count is how many people are in a room's call.
	Count(roomID string) int
	// Participants lists them.
	Participants(roomID string) []apitypes.Participant
	// RoomChanged tells the call its room changed (or ended).
	RoomChanged(r room.Room)
	// Remove takes someone out of the call and bans their key.
	Remove(ctx context.Context, roomID, who string) (apitypes.Participant, error)
	// Knocks lists who knocks on a locked room's door.
	Knocks(roomID string) []apitypes.Knock
	// AnswerKnock admits or declines a knock (by id or knocker's name).
	AnswerKnock(ctx context.Context, roomID, who string, admit bool) (apitypes.Knock, error)
}

type noLive struct{}

func (noLive) Count(string) int                           { return 0 }
func (noLive) Participants(string) []apitypes.Participant { return []apitypes.Participant{} }
func (noLive) RoomChanged(room.Room)                      {}
func (noLive) Remove(context.Context, string, string) (apitypes.Participant, error) {
	return apitypes.Participant{}, errNoCall
}
func (noLive) Knocks(string) []apitypes.Knock { return []apitypes.Knock{} }
func (noLive) AnswerKnock(context.Context, string, string, bool) (apitypes.Knock, error) {
	return apitypes.Knock{}, errNoCall
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
