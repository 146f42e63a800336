package turn

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// Defaults of the built-in relay.
const (
	DefaultPort        = 3478 // UDP and TCP
	DefaultTLSPort     = 5349
	DefaultMinPort     = 50000
	DefaultMaxPort     = 50199
	DefaultPerUser     = 12 // two PeerConnections × three URLs, twice (a rejoin overlaps)
	DefaultMaxConns    = 1000
	DefaultConnsPerIP  = 32
	DefaultRealm       = "rooms"
	allocationLifetime = 10 * time.Minute
)

// Config sets up the built-in relay.
type Config struct {
	// Secret checks the credentials (cred.go).
	Secret string
	Realm  string
	// Listen is where the relay takes TURN over UDP and TCP (one
	// host:port for both); empty for neither.
	Listen string
	// TLSListen takes TURN over TLS with TLS; empty for none.
	TLSListen string
	TLS       *tls.Config
	// RelayIP is the address relays are announced as; RelayBind the one
	// they are opened on ("" for every address).
	RelayIP   net.IP
	RelayBind string
	// MinPort and MaxPort bound the relay ports.
	MinPort, MaxPort uint16
	// Peers are the only addresses relays exchange packets with: roomsd's
	// media addresses (IP and port).
	Peers []netip.AddrPort
	// PerUser and MaxAllocations bound allocations per participant and
	// in all; 0 means DefaultPerUser and the size of the port range.
	PerUser, MaxAllocations int
	// MaxConns and ConnsPerIP bound TCP and TLS connections; 0 means the
	// defaults.
	MaxConns, ConnsPerIP int
	Logger               *slog.Logger
	// Now is the clock credentials are checked against; nil is time.Now.
	Now func() time.Time
}

// Server is the running relay.
type Server struct {
	pion    *pionturn.Server
	udp     net.PacketConn
	tcp     net.Listener
	tls     net.Listener
	st      *stats
	quota   *quota
	closers []func() error
}

// Listen opens the relay's sockets and starts it.
func Listen(cfg Config) (_ *Server, err error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("turn: the secret must be at least %d bytes", MinSecretLen)
	}
	if len(cfg.Peers) == 0 {
		return nil, errors.New("turn: no media address to relay to")
	}
	if cfg.RelayIP == nil || cfg.RelayIP.To4() == nil {
		return nil, fmt.Errorf("turn: relay address %v is not IPv4", cfg.RelayIP)
	}
	if cfg.MinPort == 0 || cfg.MaxPort < cfg.MinPort {
		return nil, fmt.Errorf("turn: relay ports %d-%d are not a range", cfg.MinPort, cfg.MaxPort)
	}
	if cfg.Listen == "" && cfg.TLSListen == "" {
		return nil, errors.New("turn: nowhere to listen")
	}
	if cfg.TLSListen != "" && cfg.TLS == nil {
		return nil, errors.New("turn: TLS listen address without a certificate")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	ports := int(cfg.MaxPort-cfg.MinPort) + 1
	q := &quota{perUser: cmpOr(cfg.PerUser, DefaultPerUser), total: min(cmpOr(cfg.MaxAllocations, ports), ports), byUser: map[string]int{}}
	st := &stats{}
	s := &Server{st: st, quota: q}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	peers := newPeerSet(cfg.Peers)
	relays := func() pionturn.RelayAddressGenerator {
		return &guardedRelays{
			inner: &pionturn.RelayAddressGeneratorPortRange{RelayAddress: cfg.RelayIP, Address: cmp.Or(cfg.RelayBind, "0.0.0.0"), MinPort: cfg.MinPort, MaxPort: cfg.MaxPort},
			quota: q, peers: peers, st: st,
		}
	}
	permit := func(_ net.Addr, peer net.IP) bool {
		if peers.ip(peer) {
			return true
		}
		st.refusedPermissions.Add(1)
		return false
	}
	secret := cfg.Secret
	auth := func(ra *pionturn.RequestAttributes) (string, []byte, bool) {
		who, err := Parse(ra.Username, now())
		if err != nil {
			return "", nil, false
		}
		return who, pionturn.GenerateAuthKey(ra.Username, ra.Realm, password64(secret, ra.Username)), true
	}
	pc := pionturn.ServerConfig{
		Realm:              cmp.Or(cfg.Realm, DefaultRealm),
		AuthHandler:        auth,
		QuotaHandler:       func(user, _ string, _ net.Addr) bool { return q.has(user) },
		LoggerFactory:      pionLogs{log: log},
		AllocationLifetime: allocationLifetime,
		EventHandler: pionturn.EventHandler{
			OnAuth: func(_, _ net.Addr, _, _, _, _ string, ok bool) {
				if !ok {
					st.authFailures.Add(1)
				}
			},
		},
	}
	maxConns, perIP := cmpOr(cfg.MaxConns, DefaultMaxConns), cmpOr(cfg.ConnsPerIP, DefaultConnsPerIP)
	if cfg.Listen != "" {
		if s.udp, err = net.ListenPacket("udp4", cfg.Listen); err != nil {
			return nil, fmt.Errorf("listen for TURN on UDP %s: %w (pick another with --turn-listen)", cfg.Listen, err)
		}
		s.closers = append(s.closers, s.udp.Close)
		ln, err := net.Listen("tcp4", cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("listen for TURN on TCP %s: %w (pick another with --turn-listen)", cfg.Listen, err)
		}
		s.tcp = newLimitListener(ln, maxConns, perIP, st)
		s.closers = append(s.closers, s.tcp.Close)
		pc.PacketConnConfigs = append(pc.PacketConnConfigs, pionturn.PacketConnConfig{PacketConn: s.udp, RelayAddressGenerator: relays(), PermissionHandler: permit})
		pc.ListenerConfigs = append(pc.ListenerConfigs, pionturn.ListenerConfig{Listener: s.tcp, RelayAddressGenerator: relays(), PermissionHandler: permit})
	}
	if cfg.TLSListen != "" {
		ln, err := net.Listen("tcp4", cfg.TLSListen)
		if err != nil {
			return nil, fmt.Errorf("listen for TURN over TLS on %s: %w (pick another with --turn-tls-listen)", cfg.TLSListen, err)
		}
		tc := cfg.TLS.Clone()
		tc.NextProtos = nil // not HTTP, not ACME
		tc.MinVersion = max(tc.MinVersion, tls.VersionTLS12)
		s.tls = tls.NewListener(newLimitListener(ln, maxConns, perIP, st), tc)
		s.closers = append(s.closers, s.tls.Close)
		pc.ListenerConfigs = append(pc.ListenerConfigs, pionturn.ListenerConfig{Listener: s.tls, RelayAddressGenerator: relays(), PermissionHandler: permit})
	}
	if s.pion, err = pionturn.NewServer(pc); err != nil {
		return nil, fmt.Errorf("start the TURN relay: %w", err)
	}
	return s, nil
}

func cmpOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// UDPAddr, TCPAddr and TLSAddr are where the relay listens (nil when it
// does not).
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

func (s *Server) TCPAddr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

func (s *Server) TLSAddr() net.Addr {
	if s.tls == nil {
		return nil
	}
	return s.tls.Addr()
}

// Stats reads the relay's counters.
func (s *Server) Stats() Stats {
	return Stats{
		Allocations:        uint64(s.quota.count()),
		AllocationsMade:    s.st.allocations.Load(),
		AllocationsRefused: s.st.refusedAllocations.Load(),
		PermissionsRefused: s.st.refusedPermissions.Load(),
		PacketsRefused:     s.st.refusedPackets.Load(),
		RelayedToMedia:     s.st.relayedOut.Load(),
		RelayedFromMedia:   s.st.relayedIn.Load(),
		ConnectionsRefused: s.st.refusedConns.Load(),
		AuthFailures:       s.st.authFailures.Load(),
	}
}

// Close stops the relay: its sockets, every TCP/TLS connection and every
// allocation (pion closes the relays when its read loops end).
func (s *Server) Close() error {
	if s.pion != nil {
		return s.pion.Close()
	}
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}
