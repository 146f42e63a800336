package turn

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	pionturn "github.com/pion/turn/v5"
)

// What keeps the relay from being an open proxy:
//
//   - permissions (CreatePermission, ChannelBind, Send) only toward the IP
//     addresses of roomsd's own media (permitPeer);
//   - the relay socket of an allocation sends only to roomsd's media
//     addresses, IP and port, and takes packets only from them
//     (peerConn): a permission is per IP, so without this a client could
//     reach other UDP services on roomsd's host;
//   - UDP relays only: RFC 6062 TCP allocations are refused (they would
//     connect out);
//   - allocations bounded per participant and in all (quota), each on a
//     port of the configured range;
//   - credentials that expire (cred.go).

// peerSet is the set of addresses relays may talk to.
type peerSet struct {
	addrs map[netip.AddrPort]bool
	ips   map[netip.Addr]bool
}

func newPeerSet(peers []netip.AddrPort) peerSet {
	s := peerSet{addrs: map[netip.AddrPort]bool{}, ips: map[netip.Addr]bool{}}
	for _, p := range peers {
		p = netip.AddrPortFrom(p.Addr().Unmap(), p.Port())
		s.addrs[p] = true
		s.ips[p.Addr()] = true
	}
	return s
}

func (s peerSet) ip(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && s.ips[a.Unmap()]
}

func (s peerSet) addr(a net.Addr) bool {
	u, ok := a.(*net.UDPAddr)
	if !ok {
		return false
	}
	ap := u.AddrPort()
	return s.addrs[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())]
}

// quota counts allocations per participant and in all.
type quota struct {
	perUser, total int

	mu     sync.Mutex
	byUser map[string]int
	all    int
}

// take reserves an allocation for user, or says no.
func (q *quota) take(user string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.all >= q.total || q.byUser[user] >= q.perUser {
		return false
	}
	q.all++
	q.byUser[user]++
	return true
}

// has says whether user could take one more now.
func (q *quota) has(user string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.all < q.total && q.byUser[user] < q.perUser
}

func (q *quota) give(user string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.all--
	if q.byUser[user]--; q.byUser[user] <= 0 {
		delete(q.byUser, user)
	}
}

func (q *quota) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.all
}

// errQuota and errNoTCP are what a refused allocation fails with inside
// pion (the client sees a TURN error response).
var (
	errQuota = errors.New("turn: allocation quota reached")
	errNoTCP = errors.New("turn: TCP relays (RFC 6062) are not offered")
)

// guardedRelays wraps the port-range generator: each relay counts against
// the quota until it closes, and talks only to the peer set.
type guardedRelays struct {
	inner pionturn.RelayAddressGenerator
	quota *quota
	peers peerSet
	st    *stats
}

func (g *guardedRelays) Validate() error { return g.inner.Validate() }

func (g *guardedRelays) AllocatePacketConn(c pionturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if !g.quota.take(c.UserID) {
		g.st.refusedAllocations.Add(1)
		return nil, nil, errQuota
	}
	conn, addr, err := g.inner.AllocatePacketConn(c)
	if err != nil {
		g.quota.give(c.UserID)
		return nil, nil, fmt.Errorf("turn: open a relay port: %w", err)
	}
	g.st.allocations.Add(1)
	return &peerConn{PacketConn: conn, g: g, user: c.UserID}, addr, nil
}

func (g *guardedRelays) AllocateListener(pionturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCP
}

func (g *guardedRelays) AllocateConn(pionturn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCP
}

// peerConn is an allocation's relay socket, limited to the peer set.
type peerConn struct {
	net.PacketConn
	g      *guardedRelays
	user   string
	closed atomic.Bool
}

// WriteTo sends toward roomsd's media only; anything else is dropped (as
// the network would drop it: the client sees no error, only no answer).
func (c *peerConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.g.peers.addr(addr) {
		c.g.st.refusedPackets.Add(1)
		return len(p), nil
	}
	// Counted before it goes: roomsd's answer can come back through the
	// relay (and be counted) before this write returns.
	c.g.st.relayedOut.Add(1)
	n, err := c.PacketConn.WriteTo(p, addr)
	if err != nil {
		c.g.st.relayedOut.Add(^uint64(0)) // not passed after all
	}
	return n, err
}

// ReadFrom passes on only what comes from roomsd's media.
func (c *peerConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil {
			return n, addr, err
		}
		if c.g.peers.addr(addr) {
			c.g.st.relayedIn.Add(1)
			return n, addr, nil
		}
		c.g.st.refusedPackets.Add(1)
	}
}

func (c *peerConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.g.quota.give(c.user)
	}
	return c.PacketConn.Close()
}

// stats are the relay's counters.
type stats struct {
	allocations, refusedAllocations     atomic.Uint64
	refusedPermissions, refusedPackets  atomic.Uint64
	relayedOut, relayedIn, refusedConns atomic.Uint64
	authFailures                        atomic.Uint64
}

// Stats is a snapshot of the relay's counters.
type Stats struct {
	// Allocations is how many are open now; AllocationsMade how many
	// were made since start, AllocationsRefused refused for the quota.
	Allocations, AllocationsMade, AllocationsRefused uint64
	// PermissionsRefused counts permissions asked toward an address that
	// is not roomsd's media; PacketsRefused, packets a relay dropped for
	// going to or coming from one.
	PermissionsRefused, PacketsRefused uint64
	// RelayedToMedia and RelayedFromMedia count packets a relay passed
	// on, toward roomsd's media and back.
	RelayedToMedia, RelayedFromMedia uint64
	// ConnectionsRefused counts TCP/TLS connections over the caps;
	// AuthFailures, requests with a bad or expired credential.
	ConnectionsRefused, AuthFailures uint64
}
