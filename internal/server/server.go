package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/prune"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/schedule"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/signal"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/version"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// ShutdownTimeout bounds how long in-flight requests may take to finish.
const ShutdownTimeout = 10 * time.Second

// Server is a running roomsd.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     store.Store
	sfu       *sfu.SFU
	hub       *call.Hub
	signal    *signal.Handler
	scheduler *schedule.Scheduler
	deliverer *notify.Deliverer
	pruner    *prune.Pruner // nil when --retain is 0
	ln        net.Listener
	http      *http.Server
}

// Start opens the store, takes the listen address and returns a server
// ready to Serve. Notices for the operator (a new create token) go to
// notices, never to the log.
func Start(ctx context.Context, cfg Config, log *slog.Logger, notices io.Writer) (*Server, error) {
	if err := cfg.Resolve(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w; choose another with --data-dir", cfg.DataDir, err)
	}
	origins, err := origin.New(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("--public-url: %w", err)
	}
	st, err := store.OpenSQLite(ctx, cfg.DB, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("open the room store: %w", err)
	}
	// On loopback anyone who can reach the server already has the
	// machine, so a token is only made for wider listening; one given
	// explicitly is always required (a proxy on this host, say).
	token := cfg.CreateToken
	if token == "" && !cfg.Loopback() {
		token, err = loadOrMakeToken(cfg.DataDir, notices)
		if err != nil {
			st.Close()
			return nil, err
		}
	}
	media, err := sfu.New(sfu.Config{UDPAddr: cfg.UDPAddr(), PublicIPs: cfg.PublicIPs, Loopback: cfg.Loopback(), Logger: log,
		ForwardVoices: cmp.Or(cfg.ForwardVoices, -1)})
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		st.Close()
		media.Close()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("listen on %s: the address is in use (is another roomsd running?); stop it or pick another with --listen", cfg.Listen)
		}
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	var handler *api.Server
	s := &Server{cfg: cfg, log: log, store: st, sfu: media, ln: ln}

	s.signal = &signal.Handler{Hub: nil, Log: log, Version: version.String(), Origins: origins, Limits: cfg.Calls}
	s.hub = call.NewHub(call.Config{
		Store: st, SFU: media, Logger: log, PublicURL: cfg.PublicURL, MaxParticipants: cfg.MaxParticipants, MaxScreenShares: cfg.MaxScreenShares,
		ToAPI: func(r room.Room) apitypes.Room { return handler.ToAPI(r) },
	})
	s.signal.Hub = s.hub

	hooks, err := serverWebhooks(cfg, notices)
	if err != nil {
		st.Close()
		media.Close()
		ln.Close()
		return nil, err
	}
	var mailer *notify.Mailer
	if cfg.SMTPURL != "" {
		if mailer, err = notify.NewMailer(cfg.SMTPURL); err != nil {
			st.Close()
			media.Close()
			ln.Close()
			return nil, err
		}
	}
	broker := notify.NewBroker()
	s.deliverer = notify.NewDeliverer(notify.DelivererConfig{
		Store: st, Log: log, Owner: owner(), Broker: broker, ServerWebhooks: hooks, Mailer: mailer,
		Sender: notify.NewWebhookSender(notify.SenderOptions{AllowPrivate: cfg.WebhookAllowPrivate}),
	})
	s.scheduler = schedule.New(schedule.Config{
		Store: st, Log: log, Wake: s.deliverer.Wake, ServerWebhooks: cfg.Webhooks, EndingSoon: s.hub.EndingSoon,
		ToAPI: func(r room.Room) apitypes.Room { return handler.ToAPI(r) },
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(version.Collector())
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_sfu_forwarded_packets_total",
			Help: "RTP packets sent to subscribers, one per subscriber."}, func() float64 { return float64(media.Forwarded()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_sfu_retransmitted_packets_total",
			Help: "RTP packets sent again because a subscriber reported them lost (NACK)."}, func() float64 { return float64(media.Retransmitted()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_sfu_received_packets_total",
			Help: "RTP packets received from publishers, every simulcast layer."}, func() float64 { return float64(media.Received()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_sfu_layer_switches_total",
			Help: "Subscribers moved from one simulcast layer of a track to another (at a keyframe)."}, func() float64 { return float64(media.LayerSwitches()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_sfu_loss_caps_total",
			Help: "Simulcast subscribers given a smaller layer for 10 s because their receiver reports showed over 10% loss."}, func() float64 { return float64(media.LossCaps()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_sfu_refused_tracks_total",
			Help: "Published tracks not forwarded: a screen past the call's cap, or more than 4 tracks from one participant."}, func() float64 { return float64(media.Refused()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rooms_calls", Help: "Live calls."},
			func() float64 { c, _ := s.hub.Stats(); return float64(c) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rooms_participants", Help: "People in live calls."},
			func() float64 { _, p := s.hub.Stats(); return float64(p) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rooms_signal_connections", Help: "Call connections (signalling WebSockets) open, as counted against --max-connections."},
			func() float64 { return float64(s.signal.Open()) }),
	)
	if cfg.Retain > 0 {
		if s.pruner, err = newPruner(cfg.Retain, st, log, reg); err != nil {
			st.Close()
			media.Close()
			ln.Close()
			return nil, err
		}
	}
	handler = api.New(api.Config{
		Registry:            reg,
		Store:               st,
		Logger:              log,
		PublicURL:           cfg.PublicURL,
		MaxParticipants:     cfg.MaxParticipants,
		MaxScreenShares:     cfg.MaxScreenShares,
		CreateToken:         token,
		Version:             version.String(),
		Live:                s.hub,
		Signal:              s.signal,
		Notifier:            s.scheduler,
		Broker:              broker,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		ServerWebhooks:      cfg.Webhooks,
		EmailEnabled:        mailer != nil,
		TrustedProxies:      cfg.proxies(),
		AllowedHosts:        cfg.AllowedHosts,
		Rate:                cfg.Rate,
	})
	// Host actions in a call are audited with the address the API sees.
	s.signal.ClientAddr = handler.ClientAddr
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.http.RegisterOnShutdown(handler.CloseStreams)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Config is the resolved configuration.
func (s *Server) Config() Config { return s.cfg }

// Serve serves until ctx is cancelled, then stops accepting, lets
// in-flight requests finish (bounded by ShutdownTimeout) and closes the
// store.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	// The scheduler and the deliverer stop with ctx; they are waited for
	// before the store closes.
	var bg sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(context.Background())
	bg.Add(2)
	go func() { defer bg.Done(); s.scheduler.Run(bgCtx) }()
	go func() { defer bg.Done(); s.deliverer.Run(bgCtx) }()
	if s.pruner != nil {
		bg.Add(1)
		go func() { defer bg.Done(); s.pruner.Run(bgCtx) }()
	}
	if s.cfg.DebugListen != "" {
		bg.Add(1)
		go func() {
			defer bg.Done()
			if err := s.serveDebug(bgCtx, s.cfg.DebugListen); err != nil {
				s.log.Warn("profiler", "err", err)
			}
		}()
	}
	s.log.Info("roomsd ready", "url", s.cfg.PublicURL, "listen", s.ln.Addr().String(), "media_udp_port", s.sfu.UDPPort(), "db", s.cfg.DB, "max_participants", s.cfg.MaxParticipants)

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", ShutdownTimeout)
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		if err := s.http.Shutdown(sctx); err != nil {
			serveErr = fmt.Errorf("finish in-flight requests: %w", err)
		}
		cancel()
		<-errc // Serve has returned http.ErrServerClosed
	}
	// Calls run on hijacked connections Shutdown does not wait for: close
	// them, let their goroutines finish, then the media socket and store.
	s.hub.Close()
	wctx, wcancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	if err := s.signal.Wait(wctx); err != nil {
		s.log.Warn("signalling connections still open at shutdown", "err", err)
	}
	wcancel()
	s.sfu.Close()
	stopBG()
	bg.Wait()
	if err := s.store.Close(); err != nil && serveErr == nil {
		serveErr = fmt.Errorf("close the store: %w", err)
	}
	s.log.Info("roomsd stopped")
	return serveErr
}

// loadOrMakeToken reads the create token from the data directory, making
// and announcing one on first start.
func loadOrMakeToken(dir string, notices io.Writer) (string, error) {
	path := filepath.Join(dir, "create-token")
	b, err := os.ReadFile(path)
	if err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read the create token %s: %w", path, err)
	}
	tok := "rct_" + room.NewID() + room.NewID()
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save the create token in %s: %w", path, err)
	}
	fmt.Fprintf(notices, "roomsd listens beyond this machine, so creating rooms needs a token.\n"+
		"Create token (shown once; kept in %s):\n\n    %s\n\n"+
		"Give it to people who may create rooms: rooms create --create-token TOKEN, or ROOMS_CREATE_TOKEN.\n", path, tok)
	return tok, nil
}

// owner names this process in the outbox's leases.
func owner() string {
	host, _ := os.Hostname()
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + room.NewID()[:8]
}

// serverWebhooks checks the --webhook URLs and finds their secret: the
// flag, or one made at first start and kept in the data directory.
func serverWebhooks(cfg Config, notices io.Writer) ([]notify.Webhook, error) {
	if len(cfg.Webhooks) == 0 {
		return nil, nil
	}
	for _, u := range cfg.Webhooks {
		if err := notify.CheckURL(u, cfg.WebhookAllowPrivate); err != nil {
			return nil, fmt.Errorf("--webhook: %w", err)
		}
	}
	secret := cfg.WebhookSecret
	if secret == "" {
		path := filepath.Join(cfg.DataDir, "webhook-secret")
		b, err := os.ReadFile(path)
		switch {
		case err == nil && strings.TrimSpace(string(b)) != "":
			secret = strings.TrimSpace(string(b))
		case err == nil || errors.Is(err, os.ErrNotExist):
			secret, _ = notify.NewSecret()
			if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("save the webhook secret in %s: %w", path, err)
			}
			fmt.Fprintf(notices, "Webhook signing secret (kept in %s): %s\n", path, secret)
		default:
			return nil, fmt.Errorf("read the webhook secret %s: %w", path, err)
		}
	}
	key, err := notify.ParseSecret(secret)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret: %w", err)
	}
	out := make([]notify.Webhook, len(cfg.Webhooks))
	for i, u := range cfg.Webhooks {
		out[i] = notify.Webhook{URL: u, Secret: key}
	}
	return out, nil
}
