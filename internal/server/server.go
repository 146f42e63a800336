package server

import (
	"cmp"
	"context"
	"crypto/tls"
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
	"github.com/rooms-dev/rooms/internal/cluster"
	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/prune"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/roomwire"
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
	sfu       *sfu.SFU
	scheduler *schedule.Scheduler
	timePlane *timePlane
	deliverer *notify.Deliverer
	pruner    *prune.Pruner // nil when --retain is 0
	ln        net.Listener
	http      *http.Server
	// open is what Start opened, closed in reverse when Serve ends: the
	// calls (and their connections), the listener, the media socket, the
	// store.
	open closers

	// api, sig and notices are what Reload changes and tells.
	api     *api.Server
	sig     *signal.Handler
	notices io.Writer
	// metricsLn and reg serve /metrics on its own (--metrics-listen);
	// metricsLn is nil otherwise.
	metricsLn net.Listener
	reg       *prometheus.Registry
	gatherer  prometheus.Gatherer // reg, labelled by node in a cluster
	// node is this roomsd in a cluster of several (nil on SQLite).
	node *cluster.Node
	// https is roomsd's own TLS (nil without); httpLn takes plain HTTP
	// to redirect (--http-listen), nil when there is none.
	https  *httpsSetup
	httpLn net.Listener
	// reloadMu makes reloads one at a time; live is the configuration in
	// force, the one Config returns.
	reloadMu sync.Mutex
	live     Config
}

// Start opens the store, takes the listen address and returns a server
// ready to Serve. Notices for the operator (a new create token) go to
// notices, never to the log. Each part is made once, with what it needs,
// after what it uses; if a step fails, what opened before it is closed in
// reverse.
func Start(ctx context.Context, cfg Config, log *slog.Logger, notices io.Writer) (_ *Server, err error) {
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
	var open closers
	defer func() {
		if err != nil {
			_ = open.close() // the error that stopped Start is the one to tell
		}
	}()

	st, err := openStore(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open the room store: %w", err)
	}
	open.add("the store", st.Close)
	token, err := createToken(cfg, notices)
	if err != nil {
		return nil, err
	}
	media, err := sfu.New(sfu.Config{UDPAddr: cfg.UDPAddr(), PublicIPs: cfg.PublicIPs, STUNServer: cfg.STUNServer, Loopback: cfg.Loopback(), Logger: log, ICETCP: cfg.ICETCP,
		ForwardVoices: cmp.Or(cfg.ForwardVoices, -1)})
	if err != nil {
		return nil, err
	}
	open.add("the media socket", func() error {
		if err := media.Close(); err != nil {
			log.Warn("close the media socket", "err", err) // nothing is lost: the calls are over
		}
		return nil
	})
	https, err := newHTTPS(cfg)
	if err != nil {
		return nil, err
	}
	logPlainHTTP(cfg, log)
	ln, err := listen(cfg.Listen)
	if err != nil {
		return nil, err
	}
	// At shutdown http.Server has closed it already.
	open.add("the listener", func() error { return ignoreClosed(ln.Close()) })
	if https != nil {
		ln = tls.NewListener(ln, https.config)
	}
	var httpLn net.Listener
	if https != nil && https.redirect != nil {
		if httpLn, err = listenHTTP(cfg.TLS.HTTPListen); err != nil {
			return nil, err
		}
		open.add("the plain HTTP listener", func() error { return ignoreClosed(httpLn.Close()) })
	}
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		if metricsLn, err = listenMetrics(cfg.MetricsListen); err != nil {
			return nil, err
		}
		open.add("the metrics listener", func() error { return ignoreClosed(metricsLn.Close()) })
	}
	hooks, err := serverWebhooks(cfg, notices)
	if err != nil {
		return nil, err
	}
	var mailer *notify.Mailer
	if cfg.SMTPURL != "" {
		if mailer, err = notify.NewMailer(cfg.SMTPURL); err != nil {
			return nil, err
		}
	}

	var httpsConfig *tls.Config
	if https != nil {
		httpsConfig = https.config
	}
	relays, err := startTURN(cfg, media.UDPPort(), httpsConfig, log)
	if err != nil {
		return nil, err
	}
	if relays.relay != nil {
		open.add("the TURN relay", func() error { return ignoreClosed(relays.relay.Close()) })
	}
	hub := call.NewHub(call.Config{Store: st, Media: call.SFU(media), Logger: log, PublicURL: cfg.PublicURL,
		MaxParticipants: cfg.MaxParticipants, MaxScreenShares: cfg.MaxScreenShares, Grace: cfg.grace,
		ICEServers: relays.issuer.ICEServers})
	sig := &signal.Handler{Hub: hub, Log: log, Version: version.String(), Origins: origins, Limits: cfg.Calls}
	open.add("the calls", closeCalls(hub, sig, log))
	// Several nodes on one PostgreSQL (node.go): calls placed across them,
	// joins proxied to the call's node, host actions carried to it.
	node, err := startNode(ctx, cfg, st, hub, sig, origins, media, log)
	if err != nil {
		return nil, err
	}
	var (
		live       api.Live     = hub
		signaller  http.Handler = sig
		endingSoon              = hub.EndingSoon
	)
	if node != nil {
		// Closed before the calls: their people reconnect to another node
		// at once instead of waiting for this one's leases to expire.
		open.add("the node's registration", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
			defer cancel()
			return node.Leave(ctx)
		})
		live, signaller, endingSoon = node.Live(), node.Signal(), node.Live().EndingSoon
	}
	broker := notify.NewBroker()
	deliverer := notify.NewDeliverer(notify.DelivererConfig{
		Store: st, Log: log, Owner: owner(), Broker: broker, ServerWebhooks: hooks, Mailer: mailer,
		Sender: notify.NewWebhookSender(notify.SenderOptions{AllowPrivate: cfg.WebhookAllowPrivate}),
	})
	wire := roomwire.Server{PublicURL: cfg.PublicURL, MaxScreenShares: cfg.MaxScreenShares}
	scheduler := schedule.New(schedule.Config{
		Store: st, Log: log, Wake: deliverer.Wake, ServerWebhooks: cfg.Webhooks, EndingSoon: endingSoon,
		ToAPI: func(r room.Room) apitypes.Room { return wire.Render(r, time.Now(), hub.Count(r.ID)) },
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(version.Collector())
	registerMetrics(reg, media, hub, sig)
	registerTURNMetrics(reg, relays.relay)
	timePlane := newTimePlane(st, scheduler, broker, log, reg)
	var gatherer prometheus.Gatherer = reg
	if node != nil {
		reg.MustRegister(node.Collector())
		gatherer = cluster.Labelled(reg, node.ID())
	}
	var pruner *prune.Pruner
	if cfg.Retain > 0 {
		if pruner, err = newPruner(cfg.Retain, st, log, reg); err != nil {
			return nil, err
		}
	}
	handler := api.New(api.Config{
		Registry:            reg,
		Gatherer:            gatherer,
		MetricsElsewhere:    metricsLn != nil,
		Store:               st,
		Logger:              log,
		PublicURL:           cfg.PublicURL,
		MaxParticipants:     cfg.MaxParticipants,
		MaxScreenShares:     cfg.MaxScreenShares,
		CreateToken:         token,
		Version:             version.String(),
		Live:                live,
		Signal:              signaller,
		Notifier:            scheduler,
		Broker:              broker,
		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
		ServerWebhooks:      cfg.Webhooks,
		EmailEnabled:        mailer != nil,
		TrustedProxies:      cfg.proxies(),
		AllowedHosts:        append(cfg.allowedHosts(), nodeHosts(cfg, node)...),
		Rate:                cfg.Rate,
	})
	return &Server{cfg: cfg, live: cfg, log: log, sfu: media, scheduler: scheduler, timePlane: timePlane, deliverer: deliverer, pruner: pruner,
		api: handler, sig: sig, notices: notices, ln: ln, metricsLn: metricsLn, reg: reg, gatherer: gatherer, https: https, httpLn: httpLn,
		node: node, http: httpServer(withNodeCalls(handler, node), handler, log), open: open}, nil
}

// closeCalls is the closer of the calls. They run on hijacked connections
// http.Server's Shutdown does not wait for: close them and let their
// goroutines finish before the media socket and the store close.
func closeCalls(hub *call.Hub, sig *signal.Handler, log *slog.Logger) func() error {
	return func() error {
		hub.Close()
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if err := sig.Wait(ctx); err != nil {
			log.Warn("signalling connections still open at shutdown", "err", err)
		}
		return nil
	}
}

// httpServer serves the API with bounds on slow and large requests; its
// shutdown ends the inbox streams, which would otherwise hold it.
func httpServer(h http.Handler, handler *api.Server, log *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           withHSTS(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(handler.CloseStreams)
	return srv
}

// createToken is the token creating rooms needs. On loopback anyone who
// can reach the server already has the machine, so a token is only made
// for wider listening; one given explicitly is always required (a proxy
// on this host, say).
func createToken(cfg Config, notices io.Writer) (string, error) {
	if cfg.CreateToken != "" || cfg.Loopback() {
		return cfg.CreateToken, nil
	}
	return loadOrMakeToken(cfg.DataDir, notices)
}

// listen takes the TCP listen address, saying what to do when it is taken.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("listen on %s: the address is in use (is another roomsd running?); stop it or pick another with --listen", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Config is the resolved configuration in force: Start's, with what
// Reload changed since.
func (s *Server) Config() Config {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.live
}

// Serve serves until ctx is cancelled, then stops accepting, lets
// in-flight requests finish (bounded by ShutdownTimeout), stops the
// goroutines it started and closes what Start opened, last first: the
// calls, the listener, the media socket, the store.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(s.ln) }()
	// The scheduler and the deliverer stop with ctx; they are waited for
	// before the store closes.
	var bg sync.WaitGroup
	bgCtx, stopBG := context.WithCancel(context.Background())
	bg.Add(2)
	go func() { defer bg.Done(); s.timePlane.Run(bgCtx) }()
	go func() { defer bg.Done(); s.deliverer.Run(bgCtx) }()
	if s.pruner != nil {
		bg.Add(1)
		go func() { defer bg.Done(); s.pruner.Run(bgCtx) }()
	}
	if s.node != nil {
		bg.Add(1)
		go func() { defer bg.Done(); s.node.Run(bgCtx) }()
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
	if s.metricsLn != nil {
		bg.Add(1)
		go func() {
			defer bg.Done()
			if err := serveMetrics(bgCtx, s.metricsLn, s.gatherer); err != nil {
				s.log.Warn("metrics", "err", err)
			}
		}()
		s.log.Info("metrics listening", "url", "http://"+s.metricsLn.Addr().String()+"/metrics")
	}
	if s.httpLn != nil {
		bg.Add(1)
		go func() {
			defer bg.Done()
			if err := serveRedirect(bgCtx, s.httpLn, s.https.redirect); err != nil {
				s.log.Warn("plain HTTP redirect", "err", err)
			}
		}()
		s.log.Info("plain HTTP redirects to the public URL", "listen", s.httpLn.Addr().String())
	}
	if s.https != nil && s.https.files != nil {
		bg.Add(1)
		go func() { defer bg.Done(); s.https.files.watch(bgCtx, s.log) }()
	}
	s.log.Info("roomsd ready", "url", s.cfg.PublicURL, "listen", s.ln.Addr().String(), "media_udp_port", s.sfu.UDPPort(), "db", store.RedactURL(s.cfg.DB), "max_participants", s.cfg.MaxParticipants)

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
		s.log.Info("shutting down", "timeout", ShutdownTimeout)
		if s.node != nil {
			// Draining: the other nodes take the new calls from now on.
			dctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
			s.node.Drain(dctx)
			cancel()
		}
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		if err := s.http.Shutdown(sctx); err != nil {
			serveErr = fmt.Errorf("finish in-flight requests: %w", err)
		}
		cancel()
		<-errc // Serve has returned http.ErrServerClosed
	}
	// The goroutines Serve started use the store and the calls: they stop
	// first, then what Start opened closes in reverse.
	stopBG()
	bg.Wait()
	if err := s.open.close(); err != nil && serveErr == nil {
		serveErr = err
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
	// A secret given now must meet the spec's 24 bytes; one kept in the
	// data directory by an earlier roomsd keeps working (ParseKeptSecret).
	secret, parse := cfg.WebhookSecret, notify.ParseSecret
	if secret == "" {
		path := filepath.Join(cfg.DataDir, "webhook-secret")
		b, err := os.ReadFile(path)
		switch {
		case err == nil && strings.TrimSpace(string(b)) != "":
			secret, parse = strings.TrimSpace(string(b)), notify.ParseKeptSecret
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
	key, err := parse(secret)
	if err != nil {
		return nil, fmt.Errorf("--webhook-secret: %w", err)
	}
	out := make([]notify.Webhook, len(cfg.Webhooks))
	for i, u := range cfg.Webhooks {
		out[i] = notify.Webhook{URL: u, Secret: key}
	}
	return out, nil
}
