package turn

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"

	"github.com/rooms-dev/rooms/internal/tlstest"
)

const testSecret = "test-secret-0123456789abcdef"

// media is a stand-in for roomsd's media socket: a real UDP socket on
// loopback that echoes what it gets.
func media(t *testing.T, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

func echo(c *net.UDPConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		_, _ = c.WriteTo(buf[:n], from)
	}
}

type relay struct {
	srv   *Server
	media *net.UDPConn
	ca    *tlstest.CA
}

// startRelay runs the relay on loopback, with one media socket as its only
// peer; tweak changes the config before it starts.
func startRelay(t *testing.T, tweak func(*Config)) *relay {
	t.Helper()
	m := media(t, "127.0.0.1:0")
	go echo(m)
	ca, err := tlstest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := ca.Leaf(1, cert, key); err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Secret: testSecret, Listen: "127.0.0.1:0", TLSListen: "127.0.0.1:0", TLS: &tls.Config{Certificates: []tls.Certificate{pair}},
		RelayIP: net.IPv4(127, 0, 0, 1), RelayBind: "127.0.0.1", MinPort: 40000, MaxPort: 40999,
		Peers: []netip.AddrPort{m.LocalAddr().(*net.UDPAddr).AddrPort()},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &relay{srv: srv, media: m, ca: ca}
}

// dial connects a TURN client over proto ("udp", "tcp", "tls") with a
// credential for participant.
func (r *relay) dial(t *testing.T, proto, user, pass string) *pionturn.Client {
	t.Helper()
	var conn net.PacketConn
	var addr net.Addr
	switch proto {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn, addr = c, r.srv.UDPAddr()
	case "tcp":
		c, err := net.Dial("tcp4", r.srv.TCPAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn, addr = pionturn.NewSTUNConn(c), r.srv.TCPAddr()
	case "tls":
		cc := r.ca.ClientConfig()
		cc.ServerName = "localhost"
		c, err := tls.Dial("tcp4", r.srv.TLSAddr().String(), cc)
		if err != nil {
			t.Fatal(err)
		}
		conn, addr = pionturn.NewSTUNConn(c), r.srv.TLSAddr()
	}
	cl, err := pionturn.NewClient(&pionturn.ClientConfig{
		STUNServerAddr: addr.String(), TURNServerAddr: addr.String(), Conn: conn,
		Username: user, Password: pass, Realm: DefaultRealm,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close(); conn.Close() })
	return cl
}

func (r *relay) participant(t *testing.T, proto, who string) *pionturn.Client {
	t.Helper()
	u, p := Mint(testSecret, who, time.Hour, time.Now())
	return r.dial(t, proto, u, p)
}

// roundTrip sends through relay to the media socket and reads its echo.
func roundTrip(t *testing.T, relay net.PacketConn, to net.Addr, msg string) {
	t.Helper()
	if _, err := relay.WriteTo([]byte(msg), to); err != nil {
		t.Fatalf("write through the relay: %v", err)
	}
	_ = relay.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := relay.ReadFrom(buf)
	if err != nil {
		t.Fatalf("read the echo through the relay: %v", err)
	}
	if string(buf[:n]) != msg || from.String() != to.String() {
		t.Fatalf("got %q from %v, want %q from %v", buf[:n], from, msg, to)
	}
}

// A participant's credential relays to roomsd's media over UDP, TCP and
// TLS, and the counters see it.
func TestRelayReachesMedia(t *testing.T) {
	r := startRelay(t, nil)
	for i, proto := range []string{"udp", "tcp", "tls"} {
		t.Run(proto, func(t *testing.T) {
			cl := r.participant(t, proto, "p"+proto)
			conn, err := cl.Allocate()
			if err != nil {
				t.Fatalf("allocate over %s: %v", proto, err)
			}
			defer conn.Close()
			roundTrip(t, conn, r.media.LocalAddr(), "hello over "+proto)
			st := r.srv.Stats()
			if st.RelayedToMedia < uint64(i+1) || st.RelayedFromMedia < uint64(i+1) {
				t.Errorf("stats %+v: the relayed packets were not counted", st)
			}
		})
	}
}

// The relay is not an open proxy: a permission toward any address that is
// not roomsd's media is refused, whether another loopback address or a
// public one.
func TestPermissionOnlyTowardMedia(t *testing.T) {
	r := startRelay(t, nil)
	cl := r.participant(t, "udp", "p1")
	conn, err := cl.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, peer := range []string{"127.0.0.2:5432", "192.0.2.1:53", "10.0.0.1:7882"} {
		to, _ := net.ResolveUDPAddr("udp4", peer)
		if err := cl.CreatePermission(to); err == nil {
			t.Errorf("a permission toward %s was granted: the relay would carry traffic there", peer)
		}
	}
	if got := r.srv.Stats().PermissionsRefused; got < 3 {
		t.Errorf("%d permissions refused counted, want 3", got)
	}
	if err := cl.CreatePermission(r.media.LocalAddr()); err != nil {
		t.Errorf("the permission toward roomsd's media was refused: %v", err)
	}
}

// A permission is per IP: the relay still sends only to the media port,
// not to another service on the same address.
func TestRelayOnlyToMediaPort(t *testing.T) {
	r := startRelay(t, nil)
	other := media(t, "127.0.0.1:0") // another UDP service on roomsd's host
	cl := r.participant(t, "udp", "p1")
	conn, err := cl.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.WriteTo([]byte("to the other service"), other.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	// The relay handles one client's packets in order: once the echo of
	// the next one is back, the first was sent or dropped already.
	roundTrip(t, conn, r.media.LocalAddr(), "to the media")
	_ = other.SetReadDeadline(time.Now())
	if n, _, err := other.ReadFrom(make([]byte, 1500)); err == nil {
		t.Fatalf("the other service on roomsd's host got %d bytes through the relay", n)
	}
	if got := r.srv.Stats().PacketsRefused; got != 1 {
		t.Errorf("%d packets refused counted, want 1", got)
	}
}

// Allocations are bounded per participant and in all.
func TestAllocationQuota(t *testing.T) {
	t.Run("per participant", func(t *testing.T) {
		r := startRelay(t, func(c *Config) { c.PerUser = 2 })
		for i := range 3 {
			_, err := r.participant(t, "udp", "same").Allocate()
			if i < 2 && err != nil {
				t.Fatalf("allocation %d: %v", i+1, err)
			}
			if i == 2 && err == nil {
				t.Fatal("a third allocation for the same participant was granted past the cap of 2")
			}
		}
		if st := r.srv.Stats(); st.Allocations != 2 {
			t.Errorf("stats %+v: want 2 open", st)
		}
		// Another participant still gets one.
		if _, err := r.participant(t, "udp", "other").Allocate(); err != nil {
			t.Errorf("another participant: %v", err)
		}
	})
	t.Run("in all", func(t *testing.T) {
		r := startRelay(t, func(c *Config) { c.MaxAllocations = 2 })
		for i, who := range []string{"a", "b", "c"} {
			_, err := r.participant(t, "udp", who).Allocate()
			if i < 2 && err != nil {
				t.Fatalf("allocation %d: %v", i+1, err)
			}
			if i == 2 && err == nil {
				t.Fatal("a third allocation was granted past the total of 2")
			}
		}
	})
	t.Run("port range", func(t *testing.T) {
		r := startRelay(t, func(c *Config) { c.MinPort, c.MaxPort = 40500, 40500 })
		conn, err := r.participant(t, "udp", "a").Allocate()
		if err != nil {
			t.Fatal(err)
		}
		if port := conn.LocalAddr().(*net.UDPAddr).Port; port != 40500 {
			t.Errorf("relay port %d, outside the range 40500-40500", port)
		}
		if _, err := r.participant(t, "udp", "b").Allocate(); err == nil {
			t.Error("a second allocation was granted with a one-port range")
		}
	})
}

// Bad credentials get no allocation: expired, for another secret, too far
// in the future, not in the EXPIRY:PARTICIPANT form.
func TestCredentialsRefused(t *testing.T) {
	r := startRelay(t, nil)
	now := time.Now()
	expired, expiredPass := Mint(testSecret, "p", -time.Minute, now)
	other, otherPass := Mint("another-secret-0123456789", "p", time.Hour, now)
	far, farPass := Mint(testSecret, "p", MaxCredentialTTL+time.Hour, now)
	plain := "p"
	for _, c := range []struct{ name, user, pass string }{
		{"expired", expired, expiredPass},
		{"another secret", other, otherPass},
		{"too long", far, farPass},
		{"no expiry", plain, password64(testSecret, plain)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := r.dial(t, "udp", c.user, c.pass).Allocate(); err == nil {
				t.Fatal("allocated")
			}
		})
	}
	if r.srv.Stats().AllocationsMade != 0 {
		t.Errorf("stats %+v", r.srv.Stats())
	}
}

// TCP connections are capped per address.
func TestConnectionsPerAddress(t *testing.T) {
	r := startRelay(t, func(c *Config) { c.ConnsPerIP = 1 })
	first, err := net.Dial("tcp4", r.srv.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := net.Dial("tcp4", r.srv.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	_ = second.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err = second.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("a connection over the cap was kept open: %v", err)
	}
	if got := r.srv.Stats().ConnectionsRefused; got != 1 {
		t.Errorf("%d connections refused counted, want 1", got)
	}
}

// Mint makes what coturn's use-auth-secret and pion's REST handler expect.
func TestMintInteroperates(t *testing.T) {
	user, pass := Mint(testSecret, "p123", time.Hour, time.Now())
	if !strings.HasSuffix(user, ":p123") {
		t.Fatalf("username %q", user)
	}
	_, key, ok := pionturn.LongTermTURNRESTAuthHandler(testSecret, nil)(&pionturn.RequestAttributes{Username: user, Realm: "r"})
	if !ok || !bytes.Equal(key, pionturn.GenerateAuthKey(user, "r", pass)) {
		t.Fatal("pion's TURN REST handler does not accept the minted credential")
	}
	if _, err := Check(testSecret, user, pass, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(testSecret, user, pass, time.Now().Add(2*time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("after expiry: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"turn:turn.example.com:3478?transport=udp", true},
		{"turn:turn.example.com:3478?transport=tcp", true},
		{"turns:turn.example.com:5349?transport=tcp", true},
		{"turns:turn.example.com", true},
		{"turn:192.0.2.1:3478", true},
		{"turns:turn.example.com:5349?transport=udp", false},
		{"stun:stun.example.com:3478", false},
		{"http://turn.example.com", false},
		{"turn:", false},
		{"turn:host:99999", false},
		{"turn:user@host:3478", false},
		{"turn:host:3478?transport=sctp", false},
		{"turn:host:3478?foo=bar", false},
	} {
		if err := CheckURL(c.url); (err == nil) != c.ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", c.url, err, c.ok)
		}
	}
}
