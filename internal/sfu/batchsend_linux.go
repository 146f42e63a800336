package sfu

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"
)

// Batched sends. More than half of roomsd's CPU is the kernel's sendto,
// one system call per packet per subscriber (docs/performance.md). The
// media socket is shared by every connection (one UDP mux), so while a
// forwarder fans a packet out (begin … end) the datagrams pion's SRTP
// sessions write to it are queued and leave in one sendmmsg at the end,
// or at every sendBatch. Writes from elsewhere while a fan-out runs (RTCP,
// another forwarder) join the queue and leave with it, microseconds later;
// with no fan-out running a write goes straight out.

// sendBatch is the most datagrams one sendmmsg carries.
const sendBatch = 64

// maxDatagram bounds what is queued; a larger datagram goes straight out.
const maxDatagram = 1500

// batchConn is the media socket with queued writes.
type batchConn struct {
	*net.UDPConn
	pc *ipv4.PacketConn

	mu   sync.Mutex
	open int      // fan-outs running
	cur  *batch   // being filled
	free []*batch // sent, for reuse

	// calls and datagrams count system calls and what they carried.
	calls, datagrams atomic.Uint64
}

// batch is queued datagrams and their addresses, reused.
type batch struct {
	msgs  []ipv4.Message
	addrs []net.UDPAddr
	n     int
}

func newBatch() *batch {
	b := &batch{msgs: make([]ipv4.Message, sendBatch), addrs: make([]net.UDPAddr, sendBatch)}
	for i := range b.msgs {
		b.addrs[i].IP = make(net.IP, net.IPv6len)
		b.msgs[i].Buffers = [][]byte{make([]byte, 0, maxDatagram)}
		b.msgs[i].Addr = &b.addrs[i]
	}
	return b
}

func newBatchConn(c *net.UDPConn) *batchConn {
	return &batchConn{UDPConn: c, pc: ipv4.NewPacketConn(c), cur: newBatch()}
}

// batchMedia is the media socket as the UDP mux gets it, and its batcher.
func batchMedia(c *net.UDPConn) (net.PacketConn, *batchConn) {
	b := newBatchConn(c)
	return b, b
}

// begin: a fan-out starts; until its end, writes are queued.
func (c *batchConn) begin() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
}

// end: a fan-out is over; what is queued leaves now.
func (c *batchConn) end() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.open--
	b := c.takeLocked()
	c.mu.Unlock()
	c.send(b)
}

// takeLocked swaps the batch being filled for an empty one and returns
// it, or nil when it is empty.
func (c *batchConn) takeLocked() *batch {
	if c.cur.n == 0 {
		return nil
	}
	b := c.cur
	if n := len(c.free); n > 0 {
		c.cur, c.free = c.free[n-1], c.free[:n-1]
	} else {
		c.cur = newBatch() // as many as fan-outs send at once
	}
	return b
}

// send writes b's datagrams, sendmmsg after sendmmsg, outside the lock
// so other writers queue meanwhile; a datagram the kernel refuses (an
// unreachable address) is skipped, as a lost UDP datagram would be.
func (c *batchConn) send(b *batch) {
	if b == nil {
		return
	}
	for done := 0; done < b.n; {
		n, err := c.pc.WriteBatch(b.msgs[done:b.n], 0)
		c.calls.Add(1)
		if n > 0 {
			c.datagrams.Add(uint64(n))
			done += n
		}
		if err != nil || n <= 0 {
			done++ // the one that failed
		}
	}
	b.n = 0
	c.mu.Lock()
	c.free = append(c.free, b)
	c.mu.Unlock()
}

// WriteToAddrPort is how pion's UDP mux writes (ice.AddrPortReaderWriter).
func (c *batchConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	c.mu.Lock()
	if c.open == 0 || len(p) > maxDatagram {
		c.mu.Unlock()
		c.calls.Add(1)
		c.datagrams.Add(1)
		return c.UDPConn.WriteToUDPAddrPort(p, addr)
	}
	b := c.cur
	m := &b.msgs[b.n]
	m.Buffers[0] = append(m.Buffers[0][:0], p...)
	a := &b.addrs[b.n]
	ip := addr.Addr().As16()
	copy(a.IP, ip[:])
	a.Port = int(addr.Port())
	b.n++
	var full *batch
	if b.n == sendBatch {
		full = c.takeLocked()
	}
	c.mu.Unlock()
	c.send(full)
	return len(p), nil
}

// counts are the system calls made and the datagrams they carried.
func (c *batchConn) counts() (calls, datagrams uint64) {
	if c == nil {
		return 0, 0
	}
	return c.calls.Load(), c.datagrams.Load()
}

// ReadFromAddrPort is how pion's UDP mux reads.
func (c *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.UDPConn.ReadFromUDPAddrPort(p)
}

// WriteTo goes the same way as WriteToAddrPort.
func (c *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return c.WriteToAddrPort(p, ua.AddrPort())
	}
	return c.UDPConn.WriteTo(p, addr)
}
