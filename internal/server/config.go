// Package server runs roomsd: it opens the store, serves the API and stops
// everything in order on shutdown.
package server

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/paths"
	"github.com/rooms-dev/rooms/internal/prune"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/signal"
	"github.com/rooms-dev/rooms/internal/store"
)

// DefaultListen is where roomsd listens unless told otherwise: loopback
// only, so a fresh install is not open to the network.
const DefaultListen = "127.0.0.1:7880"

// DefaultUDPPort is the one UDP port all media goes through.
const DefaultUDPPort = 7882

// Config is roomsd's configuration: defaults, then ROOMSD_* variables,
// then flags, validated once by Resolve.
type Config struct {
	Listen          string
	DataDir         string
	DB              string
	PublicURL       string
	MaxParticipants int
	// MaxScreenShares is how many people may share a screen at once in
	// one call (each share is the heaviest stream the SFU forwards); a
	// room may set a lower cap of its own.
	MaxScreenShares int
	// ForwardVoices is how many of the loudest voices each listener
	// receives (plus up to two who just started speaking); 0 forwards
	// every voice.
	ForwardVoices int
	// DebugListen, when set, serves Go's profiler there (loopback only).
	DebugListen string
	CreateToken string
	// UDPPort carries every peer's media (ICE UDP mux); 0 picks a free one.
	UDPPort int
	// PublicIPs are announced for media instead of this host's addresses.
	PublicIPs []string
	// STUNServer (host:port) is asked for the public address at start
	// when PublicIPs are not given (a host behind 1:1 NAT).
	STUNServer string
	// ICETCP also takes media over TCP on UDPPort's number, for clients
	// whose UDP is blocked.
	ICETCP bool
	// Webhooks hear about every room's events, signed with WebhookSecret
	// (made at first start and kept in the data dir when not given).
	Webhooks      []string
	WebhookSecret string
	// WebhookAllowPrivate lets webhooks point at loopback and private
	// networks (tests, a LAN).
	WebhookAllowPrivate bool
	// SMTPURL, when set, is the mail server invitations go out through.
	SMTPURL   string
	LogLevel  string
	LogFormat string
	// Retain is how long what is over is kept: rooms that ended or whose
	// time ran out (with their members, bans, invitees, webhooks and
	// notifications), delivered and dead notifications, inbox rows. 0
	// keeps everything forever.
	Retain time.Duration
	// TrustedProxies are the proxies (CIDR ranges or addresses) whose
	// X-Forwarded-For and X-Forwarded-Proto roomsd believes.
	TrustedProxies []string
	// AllowedHosts are names requests may give in Host besides the public
	// URL's, localhost and IP addresses.
	AllowedHosts []string
	// Rate bounds requests and room creations per client address.
	Rate api.Rate
	// Calls bound call connections per client address and in all.
	Calls signal.Limits

	// MetricsListen, when set, serves /metrics there and not on Listen.
	MetricsListen string

	// TLS makes roomsd serve HTTPS on Listen (tls.go).
	TLS TLSConfig
	// TURN relays media for clients that reach neither UDP nor TCP on
	// the media port (turn.go).
	TURN TURNConfig

	// NodeID names this roomsd among several on one PostgreSQL database;
	// NodeURL is where the others reach it (node.go).
	NodeID  string
	NodeURL string
	// nodeHeartbeat and nodeLeaseTTL, for tests, change the cluster's
	// timing; 0 is the cluster package's default.
	nodeHeartbeat, nodeLeaseTTL time.Duration
	// grace, for tests, shortens the time a dropped participant keeps its
	// place (call.Config.Grace); 0 is the call package's default.
	grace time.Duration
}

// DefaultMaxScreenShares is how many screens one call shows at once by default.
const DefaultMaxScreenShares = room.DefaultMaxScreenShares

// Defaults returns the configuration roomsd starts from.
func Defaults() Config {
	c := Config{Listen: DefaultListen, MaxParticipants: room.DefaultCapacity, MaxScreenShares: DefaultMaxScreenShares, ForwardVoices: sfu.DefaultForwardVoices, UDPPort: DefaultUDPPort, LogLevel: "info", LogFormat: "text", Retain: prune.DefaultRetain}
	c.Rate, c.Calls = api.DefaultRate, signal.DefaultLimits
	c.ICETCP = true
	return c
}

// Resolve fills derived defaults and checks every value, so a bad setting
// fails at start with a message naming the flag.
func (c *Config) Resolve() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("--listen %q is not host:port (for example %s): %w", c.Listen, DefaultListen, err)
	}
	if c.MaxParticipants < 1 || c.MaxParticipants > 1000 {
		return fmt.Errorf("--max-participants must be between 1 and 1000, not %d", c.MaxParticipants)
	}
	if err := checkDebugAddr(c.DebugListen); err != nil {
		return err
	}
	if err := checkMetricsAddr(c.MetricsListen); err != nil {
		return err
	}
	if c.ForwardVoices < 0 || c.ForwardVoices > 50 {
		return fmt.Errorf("--forward-voices must be between 0 (every voice) and 50, not %d", c.ForwardVoices)
	}
	if c.MaxScreenShares < 1 || c.MaxScreenShares > room.MaxScreenShares {
		return fmt.Errorf("--max-screen-shares must be between 1 and %d, not %d", room.MaxScreenShares, c.MaxScreenShares)
	}
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("--udp-port must be 0-65535, not %d", c.UDPPort)
	}
	for _, ip := range c.PublicIPs {
		if parsed := net.ParseIP(ip); parsed == nil || parsed.To4() == nil {
			return fmt.Errorf("--public-ip %q is not an IPv4 address (it names the IPv4 address of a 1:1 NAT; IPv6 media needs no NAT and is offered as it is)", ip)
		}
	}
	if c.STUNServer != "" && len(c.PublicIPs) > 0 {
		return fmt.Errorf("--stun-server and --public-ip both say what address to announce for media: give one (--public-ip when you know the address, --stun-server to ask for it at start)")
	}
	if c.STUNServer != "" {
		if _, _, err := net.SplitHostPort(c.STUNServer); err != nil {
			return fmt.Errorf("--stun-server %q is not host:port (e.g. stun.example.net:3478): %w", c.STUNServer, err)
		}
	}
	if c.DataDir == "" {
		d, err := paths.StateDir("roomsd")
		if err != nil {
			return err
		}
		c.DataDir = d
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("--data-dir %q: %w", c.DataDir, err)
	}
	c.DataDir = abs
	switch {
	case c.DB == "":
		c.DB = filepath.Join(c.DataDir, "rooms.db")
	case store.IsPostgresURL(c.DB):
		if err := store.CheckPostgresURL(c.DB); err != nil {
			return fmt.Errorf("--db: %w", err)
		}
	case strings.HasPrefix(c.DB, "sqlite://"):
		c.DB = strings.TrimPrefix(c.DB, "sqlite://")
	case strings.Contains(c.DB, "://"):
		return fmt.Errorf("--db %q: unknown kind of database; give a SQLite file path, a postgres:// URL, or leave it unset", store.RedactURL(c.DB))
	}
	if err := c.TLS.resolve(); err != nil {
		return err
	}
	if err := c.resolveTURN(); err != nil {
		return err
	}
	if c.PublicURL == "" {
		c.PublicURL = c.defaultPublicURL()
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--public-url %q must be an http(s) URL such as https://rooms.example.com", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if err := checkNodeID(c.NodeID); err != nil {
		return err
	}
	if c.NodeURL != "" {
		if err := checkNodeURL(c.NodeURL); err != nil {
			return err
		}
		c.NodeURL = strings.TrimRight(c.NodeURL, "/")
	}
	if c.Retain != 0 && c.Retain < MinRetain {
		return fmt.Errorf("--retain %v: keep things at least %v, or 0 to keep them forever", c.Retain, MinRetain)
	}
	return c.resolveLimits()
}

// MinRetain is the shortest retention: less would forget a room while its
// host may still look at it.
const MinRetain = time.Hour

// advertisedHost is the listen address, with an unspecified host replaced
// by this machine's name so links work from elsewhere.
func (c *Config) advertisedHost() string {
	host, port, _ := net.SplitHostPort(c.Listen)
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if name, err := os.Hostname(); err == nil {
			host = name
		} else {
			host = "localhost"
		}
	}
	return net.JoinHostPort(host, port)
}

// Loopback says whether roomsd listens only on this machine.
func (c *Config) Loopback() bool {
	host, _, _ := net.SplitHostPort(c.Listen)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// UDPAddr is where the media socket listens: loopback when the HTTP side
// does, every interface otherwise.
func (c *Config) UDPAddr() string {
	host := ""
	if c.Loopback() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(c.UDPPort))
}
