package server

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rooms-dev/rooms/internal/turn"
)

// TURNConfig is TURN for participants whose network lets neither UDP nor
// TCP reach the media port: the relay built into roomsd (--turn), or an
// external one (--turn-url, --turn-secret). Either way each participant
// gets its own credential in the join answer.
type TURNConfig struct {
	// Enabled runs the built-in relay.
	Enabled bool
	// Listen takes TURN over UDP and TCP; default the --listen host, port
	// 3478.
	Listen string
	// TLSListen takes TURN over TLS with roomsd's certificate; default
	// the --listen host, port 5349, when roomsd serves HTTPS.
	TLSListen string
	// RelayPorts is the range relays are opened on, "MIN-MAX".
	RelayPorts string
	// RelayIP is the address relays are announced as (default: the
	// first --public-ip, else this host's first IPv4 address).
	RelayIP string
	// Host is the name in the TURN URLs handed out (default the
	// --public-url host: the name roomsd's certificate is for).
	Host string
	// MaxAllocations bounds relays open at once (default: the size of
	// RelayPorts); PerParticipant bounds one participant's.
	MaxAllocations int
	PerParticipant int
	// URLs are an external TURN server's (turn:/turns:), Secret its
	// shared secret (coturn's static-auth-secret).
	URLs   []string
	Secret string
	// CredentialTTL is how long a credential handed out lasts.
	CredentialTTL time.Duration
}

// DefaultTURNRelayPorts is the relay port range unless told otherwise.
var DefaultTURNRelayPorts = fmt.Sprintf("%d-%d", turn.DefaultMinPort, turn.DefaultMaxPort)

func (c *Config) resolveTURN() error {
	t := &c.TURN
	if t.CredentialTTL == 0 {
		t.CredentialTTL = turn.DefaultCredentialTTL
	}
	if t.CredentialTTL < time.Minute || t.CredentialTTL > turn.MaxCredentialTTL {
		return fmt.Errorf("--turn-credential-ttl %v: give between 1m and %v (longer than the longest call on one join)", t.CredentialTTL, turn.MaxCredentialTTL)
	}
	if t.Secret != "" && len(t.Secret) < turn.MinSecretLen {
		return fmt.Errorf("--turn-secret is %d bytes: give at least %d (openssl rand -base64 32)", len(t.Secret), turn.MinSecretLen)
	}
	if len(t.URLs) > 0 {
		if t.Enabled {
			return fmt.Errorf("--turn runs roomsd's own relay and --turn-url names another one: give one of them")
		}
		if t.Secret == "" {
			return fmt.Errorf("--turn-url needs --turn-secret, the TURN server's shared secret (coturn: use-auth-secret, static-auth-secret=...)")
		}
		for _, u := range t.URLs {
			if err := turn.CheckURL(u); err != nil {
				return err
			}
		}
		return nil
	}
	if !t.Enabled {
		for flag, v := range map[string]string{"--turn-listen": t.Listen, "--turn-tls-listen": t.TLSListen, "--turn-relay-ip": t.RelayIP, "--turn-host": t.Host} {
			if v != "" {
				return fmt.Errorf("%s is set but the TURN relay is off: add --turn, or drop it", flag)
			}
		}
		return nil
	}
	host, _, _ := net.SplitHostPort(c.Listen)
	if t.Listen == "" {
		t.Listen = net.JoinHostPort(host, strconv.Itoa(turn.DefaultPort))
	}
	if _, _, err := net.SplitHostPort(t.Listen); err != nil && t.Listen != "off" {
		return fmt.Errorf("--turn-listen %q is not host:port (for example :3478), or off for TURN over TLS only: %w", t.Listen, err)
	}
	switch {
	case t.TLSListen == "" && c.TLS.On():
		t.TLSListen = net.JoinHostPort(host, strconv.Itoa(turn.DefaultTLSPort))
	case t.TLSListen != "" && !c.TLS.On():
		return fmt.Errorf("--turn-tls-listen needs roomsd's certificate: add --tls-cert/--tls-key or --tls-domain, or drop it")
	}
	if t.TLSListen != "" {
		if _, _, err := net.SplitHostPort(t.TLSListen); err != nil {
			return fmt.Errorf("--turn-tls-listen %q is not host:port (for example :5349): %w", t.TLSListen, err)
		}
	}
	if t.Listen == "off" && t.TLSListen == "" {
		return fmt.Errorf("--turn-listen off leaves TURN over TLS only, and that needs roomsd's certificate (--tls-cert/--tls-key or --tls-domain)")
	}
	if t.RelayPorts == "" {
		t.RelayPorts = DefaultTURNRelayPorts
	}
	if _, _, err := t.ports(); err != nil {
		return err
	}
	if t.RelayIP != "" {
		if ip := net.ParseIP(t.RelayIP); ip == nil || ip.To4() == nil {
			return fmt.Errorf("--turn-relay-ip %q is not an IPv4 address", t.RelayIP)
		}
	}
	if t.MaxAllocations < 0 || t.PerParticipant < 0 {
		return fmt.Errorf("--turn-max-allocations must not be negative")
	}
	return nil
}

// ports reads RelayPorts.
func (t *TURNConfig) ports() (uint16, uint16, error) {
	lo, hi, ok := strings.Cut(t.RelayPorts, "-")
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || a < 1024 || b < a || b-a > 16383 {
		return 0, 0, fmt.Errorf("--turn-relay-ports %q: give MIN-MAX, from 1024 up, at most 16384 ports (for example %s)", t.RelayPorts, DefaultTURNRelayPorts)
	}
	return uint16(a), uint16(b), nil
}

// relaySetup is what the TURN side adds to a running roomsd: the relay,
// when built in, and what mints each participant's credential.
type relaySetup struct {
	relay  *turn.Server // nil for an external TURN server or none
	issuer *turn.Issuer // nil without TURN
}

// startTURN starts the built-in relay (toward the SFU's media port), or
// sets up credentials for the external one.
func startTURN(cfg Config, mediaPort int, httpsConfig *tls.Config, log *slog.Logger) (*relaySetup, error) {
	t := cfg.TURN
	if len(t.URLs) > 0 {
		return &relaySetup{issuer: &turn.Issuer{URLs: t.URLs, Secret: t.Secret, TTL: t.CredentialTTL}}, nil
	}
	if !t.Enabled {
		return &relaySetup{}, nil
	}
	secret := t.Secret
	if secret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
	}
	peers, relayIP, err := mediaPeers(cfg, mediaPort)
	if err != nil {
		return nil, err
	}
	lo, hi, _ := t.ports()
	bind := ""
	if cfg.Loopback() {
		bind = "127.0.0.1"
	}
	var tc *tls.Config
	if t.TLSListen != "" {
		tc = httpsConfig
	}
	listen := t.Listen
	if listen == "off" {
		listen = ""
	}
	relay, err := turn.Listen(turn.Config{
		Secret: secret, Listen: listen, TLSListen: t.TLSListen, TLS: tc,
		RelayIP: relayIP, RelayBind: bind, MinPort: lo, MaxPort: hi, Peers: peers,
		PerUser: t.PerParticipant, MaxAllocations: t.MaxAllocations, Logger: log.With("part", "turn"),
	})
	if err != nil {
		return nil, err
	}
	host := t.Host
	if host == "" {
		if u, err := url.Parse(cfg.PublicURL); err == nil {
			host = u.Hostname()
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() {
		host = "[" + host + "]"
	}
	port := func(a net.Addr) string { _, p, _ := net.SplitHostPort(a.String()); return p }
	var urls []string
	if relay.UDPAddr() != nil {
		urls = append(urls, "turn:"+host+":"+port(relay.UDPAddr())+"?transport=udp", "turn:"+host+":"+port(relay.TCPAddr())+"?transport=tcp")
	}
	if relay.TLSAddr() != nil {
		urls = append(urls, "turns:"+host+":"+port(relay.TLSAddr())+"?transport=tcp")
	}
	log.Info("TURN relay listening", "udp_tcp", relay.UDPAddr(), "tls", relay.TLSAddr(), "relay_ip", relayIP.String(), "relay_ports", t.RelayPorts, "urls", strings.Join(urls, " "))
	return &relaySetup{relay: relay, issuer: &turn.Issuer{URLs: urls, Secret: secret, TTL: t.CredentialTTL}}, nil
}

// mediaPeers are the addresses the SFU offers its media on (the only ones
// the relay talks to) and the address relays are announced as.
func mediaPeers(cfg Config, mediaPort int) ([]netip.AddrPort, net.IP, error) {
	var ips []netip.Addr
	switch {
	case cfg.Loopback():
		ips = append(ips, netip.MustParseAddr("127.0.0.1"))
	default:
		for _, s := range cfg.PublicIPs {
			if a, err := netip.ParseAddr(s); err == nil {
				ips = append(ips, a.Unmap())
			}
		}
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return nil, nil, fmt.Errorf("turn: list this host's addresses: %w", err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() {
					ips = append(ips, ip.Unmap())
				}
			}
		}
	}
	if len(ips) == 0 {
		return nil, nil, fmt.Errorf("turn: this host has no IPv4 address for media to relay to")
	}
	peers := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		peers = append(peers, netip.AddrPortFrom(ip, uint16(mediaPort)))
	}
	relayIP := net.IP(ips[0].AsSlice())
	if cfg.TURN.RelayIP != "" {
		relayIP = net.ParseIP(cfg.TURN.RelayIP)
	}
	return peers, relayIP, nil
}

// registerTURNMetrics adds the relay's counters.
func registerTURNMetrics(reg *prometheus.Registry, relay *turn.Server) {
	if relay == nil {
		return
	}
	read := func(f func(turn.Stats) uint64) func() float64 {
		return func() float64 { return float64(f(relay.Stats())) }
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "rooms_turn_allocations", Help: "TURN relays open now."},
			read(func(s turn.Stats) uint64 { return s.Allocations })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_allocations_total", Help: "TURN relays opened."},
			read(func(s turn.Stats) uint64 { return s.AllocationsMade })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_allocations_refused_total", Help: "TURN allocations refused: over the per-participant or total cap."},
			read(func(s turn.Stats) uint64 { return s.AllocationsRefused })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_permissions_refused_total", Help: "TURN permissions refused: toward an address that is not roomsd's media."},
			read(func(s turn.Stats) uint64 { return s.PermissionsRefused })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_packets_refused_total", Help: "Packets a TURN relay dropped: to or from an address that is not roomsd's media."},
			read(func(s turn.Stats) uint64 { return s.PacketsRefused })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_relayed_to_media_packets_total", Help: "Packets TURN relays passed to roomsd's media port."},
			read(func(s turn.Stats) uint64 { return s.RelayedToMedia })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_relayed_from_media_packets_total", Help: "Packets TURN relays passed from roomsd's media port to clients."},
			read(func(s turn.Stats) uint64 { return s.RelayedFromMedia })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_connections_refused_total", Help: "TCP/TLS connections to the TURN relay closed for being over the caps."},
			read(func(s turn.Stats) uint64 { return s.ConnectionsRefused })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "rooms_turn_auth_failures_total", Help: "TURN requests with a bad or expired credential."},
			read(func(s turn.Stats) uint64 { return s.AuthFailures })),
	)
}
