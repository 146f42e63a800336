package turn

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// TCP and TLS connections to the relay are bounded: at most max at once
// and perIP from one address (more are closed on accept), and one that
// says nothing for connIdle is closed (a TURN client refreshes and ICE
// checks through it every few seconds while a call lasts). The TLS
// handshake runs under the same deadline.
const connIdle = 60 * time.Second

// limitListener accepts connections within the caps and closes them all
// on Close (pion's server does not close the ones it accepted).
type limitListener struct {
	net.Listener
	max, perIP int
	st         *stats

	mu     sync.Mutex
	conns  map[*idleConn]bool
	byIP   map[netip.Addr]int
	closed bool
}

func newLimitListener(ln net.Listener, max, perIP int, st *stats) *limitListener {
	return &limitListener{Listener: ln, max: max, perIP: perIP, st: st, conns: map[*idleConn]bool{}, byIP: map[netip.Addr]int{}}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := netip.Addr{}
		if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
			ip = ap.Addr().Unmap()
		}
		l.mu.Lock()
		if l.closed || len(l.conns) >= l.max || l.byIP[ip] >= l.perIP {
			l.mu.Unlock()
			l.st.refusedConns.Add(1)
			c.Close()
			continue
		}
		ic := &idleConn{Conn: c, l: l, ip: ip}
		l.conns[ic] = true
		l.byIP[ip]++
		l.mu.Unlock()
		_ = c.SetDeadline(time.Now().Add(connIdle))
		return ic, nil
	}
}

func (l *limitListener) forget(c *idleConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[c] {
		delete(l.conns, c)
		if l.byIP[c.ip]--; l.byIP[c.ip] <= 0 {
			delete(l.byIP, c.ip)
		}
	}
}

// Close stops accepting and closes every connection still open.
func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	conns := make([]*idleConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return err
}

// idleConn pushes its deadline on at each read.
type idleConn struct {
	net.Conn
	l    *limitListener
	ip   netip.Addr
	once sync.Once
}

func (c *idleConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		_ = c.Conn.SetDeadline(time.Now().Add(connIdle))
	}
	return n, err
}

func (c *idleConn) Close() error {
	c.once.Do(func() { c.l.forget(c) })
	return c.Conn.Close()
}
