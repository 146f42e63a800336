//go:build !linux

package udpbatch

import (
	"net"
	"net/netip"
)

// Conn is the socket; outside Linux every write goes straight out.
type Conn struct {
	*net.UDPConn
	n counters
}

// New wraps c.
func New(c *net.UDPConn) *Conn { return &Conn{UDPConn: c} }

// Begin opens a burst (a no-op here).
func (c *Conn) Begin() {}

// End closes a burst (a no-op here).
func (c *Conn) End() {}

// Stats says what was sent (counted on Linux only).
func (c *Conn) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	return c.n.stats()
}

// WriteToAddrPort sends p to addr.
func (c *Conn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	return c.UDPConn.WriteToUDPAddrPort(p, addr)
}

// ReadFromAddrPort reads one datagram.
func (c *Conn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.UDPConn.ReadFromUDPAddrPort(p)
}
