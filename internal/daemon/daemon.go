// Package daemon is roomsd's command line: `roomsd serve`, `roomsd version`
// and `roomsd healthcheck`, and what running as a systemd service needs
// (sd_notify readiness, $STATE_DIRECTORY).
package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rooms-dev/rooms/internal/server"
	"github.com/rooms-dev/rooms/internal/version"
)

// Main runs roomsd with args and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := NewCmdRoot(stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "roomsd: %v\n", err)
		return exitCode(err)
	}
	return 0
}

// NewCmdRoot builds the roomsd command tree.
func NewCmdRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "roomsd",
		Short: "roomsd serves rooms: self-hosted video rooms, terminal first",
		Long: `roomsd is the rooms server: it keeps rooms in its store, serves the HTTP API
the rooms CLI talks to, and carries the calls: signalling on the room link and
media through one port, UDP and TCP (--udp-port; --ice-tcp=false for UDP only),
and, with --turn, a TURN relay for networks that let neither through (3478 UDP/TCP,
5349 TLS); or hand out an external TURN server's with --turn-url and --turn-secret.

Start it with the embedded SQLite store and nothing else to set up:

    roomsd serve

then, in another shell:

    rooms create --theme aperitivo --at 19:00`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// --version: one line naming the build.
	root.Version = version.Get().Long("roomsd")
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newCmdServe(stderr), newCmdVersion(stdout), newCmdHealthcheck(stdout), newCmdConfig(stdout))
	root.AddCommand(newCmdMigrate(stdout))
	return root
}

func newCmdServe(stderr io.Writer) *cobra.Command {
	cfg := server.Defaults()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server",
		Long: `Run the server until SIGINT or SIGTERM. On the first signal it stops taking new
requests, finishes those in flight and closes the store; a second signal exits at once.

Every flag has an environment variable: --data-dir is ROOMSD_DATA_DIR, and so on,
and a key in the --config file (ROOMSD_CONFIG): data-dir: /var/lib/roomsd. A flag
wins over its variable, which wins over the file. SIGHUP reads the file again: the
create token, the server's webhooks and their secret, the log level and the rate
limits change without touching calls; other changes need a restart.

Browsers share a camera only with an https page: off loopback, serve HTTPS with
--tls-domain (a certificate from Let's Encrypt) or --tls-cert/--tls-key, or put a
TLS proxy in front (--trusted-proxy). Certificate files are read again when they
change and on SIGHUP.

Anyone who can reach a loopback-bound roomsd may create rooms, unless you give
--create-token (say, behind a TLS proxy on the same host). When --listen is not a
loopback address, creating rooms always needs a token: --create-token, or one
roomsd makes at first start, prints once and keeps in the data directory.`,
		Example: `  # on this machine only, with the embedded store in ~/.local/state/roomsd
  roomsd serve

  # for your team, with a certificate from Let's Encrypt (ports 443 and 80 open)
  roomsd serve --listen :443 --tls-domain rooms.example.com --acme-email ops@example.com

  # for your team, behind a TLS proxy that forwards to port 7880
  roomsd serve --listen 0.0.0.0:7880 --public-url https://rooms.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ld, err := load(cmd.Flags(), os.LookupEnv)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), ld, stderr)
		},
	}
	serveFlags(cmd.Flags(), &cfg)
	return cmd
}

// serveFlags defines every flag of roomsd serve on f, bound to cfg. Each is
// also a ROOMSD_* variable (bindEnv) and a key of the --config file
// (loadFile): a new setting is one line here.
func serveFlags(f *pflag.FlagSet, cfg *server.Config) {
	f.String(configFlag, "", "YAML file of settings, one key per flag: listen: 0.0.0.0:7880 (roomsd config example)")
	f.StringVar(&cfg.Listen, "listen", cfg.Listen, "address to listen on (host:port)")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory for the store and keys (default $STATE_DIRECTORY under systemd, else $XDG_STATE_HOME/roomsd or ~/.local/state/roomsd)")
	f.StringVar(&cfg.DB, "db", "", "SQLite database file (default rooms.db in the data dir), or a postgres:// URL")
	f.StringVar(&cfg.PublicURL, "public-url", "", "base URL of the links roomsd hands out (default http://LISTEN)")
	f.IntVar(&cfg.MaxParticipants, "max-participants", cfg.MaxParticipants, "most people in one room; rooms may set less")
	f.IntVar(&cfg.MaxScreenShares, "max-screen-shares", cfg.MaxScreenShares, "most people sharing a screen at once in one call; rooms may set less")
	f.IntVar(&cfg.ForwardVoices, "forward-voices", cfg.ForwardVoices, "how many of the loudest voices each listener gets, plus up to 2 just starting to speak (0: every voice)")
	f.StringVar(&cfg.CreateToken, "create-token", "", "token needed to create rooms (default: none on loopback, else made at first start)")
	f.IntVar(&cfg.UDPPort, "udp-port", cfg.UDPPort, "UDP port all call media goes through (0 picks a free one)")
	f.BoolVar(&cfg.ICETCP, "ice-tcp", cfg.ICETCP, "also take media over TCP on the --udp-port number, for clients whose UDP is blocked")
	f.StringSliceVar(&cfg.PublicIPs, "public-ip", nil, "IP address to announce for media when behind 1:1 NAT (repeatable)")
	f.StringVar(&cfg.STUNServer, "stun-server", "", "STUN server (host:port) to ask for this host's public IPv4 address at start, when behind 1:1 NAT and --public-ip is not given")
	f.StringSliceVar(&cfg.Webhooks, "webhook", nil, "URL told about every room's events, signed (repeatable)")
	f.StringVar(&cfg.WebhookSecret, "webhook-secret", "", "secret signing --webhook deliveries (default: made at first start, kept in the data dir)")
	f.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks point at loopback and private networks")
	f.StringVar(&cfg.SMTPURL, "smtp-url", "", "mail server for email invitations: smtp://user:password@host:587?from=rooms@example.com")
	f.StringVar(&cfg.DebugListen, "debug-listen", "", "serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060")
	f.StringVar(&cfg.MetricsListen, "metrics-listen", "", "serve /metrics on this host:port instead of on --listen, e.g. 127.0.0.1:9090")
	f.StringVar(&cfg.NodeID, "node-id", "", "this node's name among several roomsd on one PostgreSQL --db (default HOSTNAME:PORT)")
	f.StringVar(&cfg.NodeURL, "node-url", "", "URL the other nodes on the same PostgreSQL --db reach this one at, e.g. http://10.0.0.2:7880 (default http://LISTEN)")
	f.Var(retainFlag{&cfg.Retain}, "retain", "how long ended rooms, their members, bans and notifications, and inbox rows are kept: days (30d) or a duration (36h); 0 keeps them forever")
	f.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	f.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json")
	f.StringSliceVar(&cfg.TrustedProxies, "trusted-proxy", nil, "CIDR range or address of a proxy whose X-Forwarded-For and X-Forwarded-Proto to believe (repeatable)")
	f.StringSliceVar(&cfg.AllowedHosts, "allowed-host", nil, "a name people reach roomsd by besides the --public-url host, localhost and IP addresses (repeatable)")
	f.Float64Var(&cfg.Rate.PerSecond, "rate", cfg.Rate.PerSecond, "requests per second per client address")
	f.IntVar(&cfg.Rate.Burst, "rate-burst", cfg.Rate.Burst, "requests at once per client address")
	f.Float64Var(&cfg.Rate.CreatesPerMinute, "create-rate", cfg.Rate.CreatesPerMinute, "room creations per minute per client address")
	f.IntVar(&cfg.Rate.CreateBurst, "create-burst", cfg.Rate.CreateBurst, "room creations at once per client address")
	f.IntVar(&cfg.Calls.PerAddress, "max-connections-per-address", cfg.Calls.PerAddress, "call connections one client address may hold open")
	f.IntVar(&cfg.Calls.Total, "max-connections", cfg.Calls.Total, "call connections the server holds open")
	f.Float64Var(&cfg.Calls.JoinsPerSecond, "join-rate", cfg.Calls.JoinsPerSecond, "call connections opened per second per client address")
	f.IntVar(&cfg.Calls.JoinBurst, "join-burst", cfg.Calls.JoinBurst, "call connections opened at once per client address")
	f.StringVar(&cfg.TLS.CertFile, "tls-cert", "", "serve HTTPS on --listen with this PEM certificate (chain); reloaded when it changes and on SIGHUP")
	f.StringVar(&cfg.TLS.KeyFile, "tls-key", "", "the private key of --tls-cert (PEM)")
	f.StringSliceVar(&cfg.TLS.Domains, "tls-domain", nil, "serve HTTPS with a certificate for this DNS name from Let's Encrypt (ACME), kept in the data dir (repeatable)")
	f.StringVar(&cfg.TLS.ACMEEmail, "acme-email", "", "email address the ACME authority may write to about --tls-domain's certificates")
	f.StringVar(&cfg.TLS.ACMEDirectory, "acme-directory", "", "ACME directory URL for --tls-domain (default Let's Encrypt; a staging or test authority)")
	f.StringVar(&cfg.TLS.HTTPListen, "http-listen", "", "answer plain HTTP here with a redirect to HTTPS, and ACME's HTTP-01 challenge (default :80 with --tls-domain)")
	f.BoolVar(&cfg.TURN.Enabled, "turn", false, "run a TURN relay for clients that reach neither UDP nor TCP on the media port; it relays only to roomsd's own media (docs/turn.md)")
	f.StringVar(&cfg.TURN.Listen, "turn-listen", "", "take TURN over UDP and TCP here (default the --listen host, port 3478; off for TURN over TLS only)")
	f.StringVar(&cfg.TURN.TLSListen, "turn-tls-listen", "", "take TURN over TLS here with roomsd's certificate (default the --listen host, port 5349, when roomsd serves HTTPS)")
	f.StringVar(&cfg.TURN.RelayPorts, "turn-relay-ports", "", "UDP ports the TURN relay opens relays on, MIN-MAX (default "+server.DefaultTURNRelayPorts+")")
	f.StringVar(&cfg.TURN.RelayIP, "turn-relay-ip", "", "address TURN relays are announced as (default the first --public-ip, else this host's first IPv4 address)")
	f.StringVar(&cfg.TURN.Host, "turn-host", "", "host name in the TURN URLs handed to participants; turns: needs it on the certificate (default the --public-url host)")
	f.IntVar(&cfg.TURN.MaxAllocations, "turn-max-allocations", 0, "TURN relays open at once, in all (default: one per --turn-relay-ports port)")
	f.StringSliceVar(&cfg.TURN.URLs, "turn-url", nil, "an external TURN server to hand out instead of --turn: turn:HOST:3478?transport=udp, turns:HOST:5349?transport=tcp (repeatable; needs --turn-secret)")
	f.StringVar(&cfg.TURN.Secret, "turn-secret", "", "the shared secret of the TURN server (coturn's static-auth-secret); each participant gets a credential made from it")
	f.DurationVar(&cfg.TURN.CredentialTTL, "turn-credential-ttl", 0, "how long a participant's TURN credential lasts; longer than a call on one join (default 12h)")
}

// bindEnv lets ROOMSD_FLAG_NAME set any flag the command line left alone.
func bindEnv(fs *pflag.FlagSet) error { return bindEnvFrom(fs, os.LookupEnv, nil) }

// bindEnvFrom is bindEnv reading variables with lookup; from, when not
// nil, records the variable each flag was set from.
func bindEnvFrom(fs *pflag.FlagSet, lookup func(string) (string, bool), from map[string]string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name := envName(f.Name)
		if v, ok := lookup(name); ok && !f.Changed && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			} else if from != nil {
				from[f.Name] = name
			}
		}
	})
	return err
}

// envName is the variable of a flag: ROOMSD_ + its name in capitals, - as _.
func envName(flag string) string {
	return "ROOMSD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// newLogger makes roomsd's logger; its level is level, set here from cfg
// and changed by a reload.
func newLogger(cfg server.Config, w io.Writer, level *slog.LevelVar) (*slog.Logger, error) {
	l, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	level.Set(l)
	opts := &slog.HandlerOptions{Level: level}
	switch cfg.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", cfg.LogFormat)
}

// serve runs the server until the first SIGINT/SIGTERM; a second one exits
// the process at once. SIGHUP reloads the configuration (reloader).
func serve(parent context.Context, ld *loaded, stderr io.Writer) error {
	cfg := ld.cfg
	level := new(slog.LevelVar)
	log, err := newLogger(cfg, stderr, level)
	if err != nil {
		return err
	}
	hups := make(chan os.Signal, 1)
	signal.Notify(hups, syscall.SIGHUP)
	defer signal.Stop(hups)
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case sig := <-sigs:
			log.Info("signal received; finishing in-flight requests (send it again to exit at once)", "signal", sig.String())
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "roomsd: second signal, exiting now")
			os.Exit(130)
		case <-done:
		}
	}()

	tuneGC(os.LookupEnv)
	srv, err := server.Start(ctx, cfg, log, stderr)
	if err != nil {
		return err
	}
	rl := &reloader{srv: srv, log: log, level: level, started: ld, current: ld, env: os.LookupEnv}
	reloads := rl.onHangup(ctx, hups)
	// Start has bound the listener: connections queue from now on, so
	// the service manager may call roomsd ready. STOPPING=1 goes out as
	// soon as shutdown begins.
	socket := notifySocket()
	if err := sdNotify(ctx, socket, notifyReady); err != nil {
		log.Warn("sd_notify", "err", err)
	}
	var stopping sync.WaitGroup
	stopping.Add(1)
	go func() {
		defer stopping.Done()
		<-ctx.Done()
		if err := sdNotify(context.Background(), socket, notifyStopping); err != nil {
			log.Warn("sd_notify", "err", err)
		}
	}()
	err = srv.Serve(ctx)
	cancel() // Serve may also return on its own error
	stopping.Wait()
	reloads.Wait()
	return err
}

// stateDirectory is the first directory of systemd's $STATE_DIRECTORY
// (a colon-separated list), empty when it is unset.
func stateDirectory(env string) string {
	first, _, _ := strings.Cut(env, ":")
	return first
}
