package udpbatch

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"
)

// maxGSOBytes bounds a GSO message's payload (a UDP length is 16 bits,
// headers included).
const maxGSOBytes = 60000

// Conn is the socket with queued writes.
type Conn struct {
	*net.UDPConn
	w batchWriter

	mu   sync.Mutex
	open int      // bursts open
	cur  *batch   // being filled
	free []*batch // sent, for reuse

	// noGSO: the kernel refused a GSO message once; runs go one datagram
	// a message since.
	noGSO atomic.Bool
	n     counters
}

// batchWriter is ipv4.PacketConn or ipv6.PacketConn (one Message type).
type batchWriter interface {
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// entry is one queued datagram.
type entry struct {
	addr netip.AddrPort
	buf  []byte // cap MaxDatagram
	used bool   // placed in a message at the flush
}

// batch is queued datagrams and the messages that send them, reused.
type batch struct {
	ents  []entry
	n     int
	msgs  []ipv4.Message
	addrs []net.UDPAddr
	iov   [][]byte // the messages' buffers, message after message
	oob   [][]byte // a UDP_SEGMENT control message per message
	segs  []int    // datagrams in each message
}

var oobLen = unix.CmsgSpace(2)

func newBatch() *batch {
	b := &batch{
		ents: make([]entry, Batch), msgs: make([]ipv4.Message, Batch), addrs: make([]net.UDPAddr, Batch),
		iov: make([][]byte, Batch), oob: make([][]byte, Batch), segs: make([]int, Batch),
	}
	for i := range b.ents {
		b.ents[i].buf = make([]byte, 0, MaxDatagram)
		b.addrs[i].IP = make(net.IP, net.IPv6len)
		b.msgs[i].Addr = &b.addrs[i]
		b.oob[i] = make([]byte, oobLen) // allocated alone: aligned for a Cmsghdr
	}
	return b
}

// New wraps c, a UDP socket (IPv4, or IPv6 with IPv4 mapped).
func New(c *net.UDPConn) *Conn {
	conn := &Conn{UDPConn: c, cur: newBatch()}
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil && a.IP != nil && !a.IP.IsUnspecified() {
		conn.w = ipv6.NewPacketConn(c)
	} else if ok && a.IP.To4() != nil {
		conn.w = ipv4.NewPacketConn(c)
	} else {
		// Bound to "::" or "" (dual stack): sendmmsg takes either kind of
		// address on an IPv6 socket, and an IPv4 socket only IPv4.
		conn.w = ipv6.NewPacketConn(c)
	}
	return conn
}

// Begin opens a burst: until its End, writes are queued.
func (c *Conn) Begin() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
}

// End closes a burst: what is queued leaves now (with whatever other
// bursts open meanwhile queued so far, which bounds their wait).
func (c *Conn) End() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.open--
	b := c.takeLocked()
	c.mu.Unlock()
	c.send(b)
}

// Stats says what was sent.
func (c *Conn) Stats() Stats {
	if c == nil {
		return Stats{}
	}
	return c.n.stats()
}

// takeLocked swaps the batch being filled for an empty one and returns
// it, or nil when it is empty.
func (c *Conn) takeLocked() *batch {
	if c.cur.n == 0 {
		return nil
	}
	b := c.cur
	if n := len(c.free); n > 0 {
		c.cur, c.free = c.free[n-1], c.free[:n-1]
	} else {
		c.cur = newBatch() // as many as bursts send at once
	}
	return b
}

// WriteToAddrPort is how pion's UDP mux writes (ice.AddrPortReaderWriter).
func (c *Conn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	c.mu.Lock()
	if c.open == 0 || len(p) > MaxDatagram {
		c.mu.Unlock()
		c.n.calls.Add(1)
		c.n.datagrams.Add(1)
		return c.UDPConn.WriteToUDPAddrPort(p, addr)
	}
	b := c.cur
	e := &b.ents[b.n]
	e.buf = append(e.buf[:0], p...)
	e.addr = addr
	b.n++
	var full *batch
	if b.n == Batch {
		full = c.takeLocked()
	}
	c.mu.Unlock()
	c.send(full)
	return len(p), nil
}

// WriteTo goes the same way as WriteToAddrPort.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return c.WriteToAddrPort(p, ua.AddrPort())
	}
	return c.UDPConn.WriteTo(p, addr)
}

// ReadFromAddrPort is how pion's UDP mux reads.
func (c *Conn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.UDPConn.ReadFromUDPAddrPort(p)
}

// pack turns b's datagrams into messages: each datagram to its address,
// in the order written for each address; consecutive datagrams to one
// address go in one GSO message while their sizes allow (all the size of
// the first, the last no larger). It returns how many messages.
func (b *batch) pack(gso bool) int {
	k, v := 0, 0
	for i := 0; i < b.n; i++ {
		e := &b.ents[i]
		if e.used {
			continue
		}
		e.used = true
		start, size, total := v, len(e.buf), len(e.buf)
		b.iov[v] = e.buf
		v++
		for j := i + 1; gso && j < b.n && size > 0; j++ {
			o := &b.ents[j]
			if o.used || o.addr != e.addr {
				continue
			}
			l := len(o.buf)
			if l > size || total+l > maxGSOBytes {
				break // it starts a message of its own, after this one
			}
			o.used = true
			b.iov[v] = o.buf
			v++
			total += l
			if l < size {
				break // a shorter one ends a GSO message
			}
		}
		m := &b.msgs[k]
		m.Buffers = b.iov[start:v]
		ip := e.addr.Addr().As16()
		a := &b.addrs[k]
		copy(a.IP, ip[:])
		a.Port = int(e.addr.Port())
		b.segs[k] = v - start
		m.OOB = nil
		if v-start > 1 {
			putSegmentSize(b.oob[k], uint16(size))
			m.OOB = b.oob[k]
		}
		k++
	}
	return k
}

// putSegmentSize writes a UDP_SEGMENT control message into oob.
func putSegmentSize(oob []byte, size uint16) {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = unix.SOL_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], size)
}

// send writes b's messages, sendmmsg after sendmmsg, outside the lock so
// other writers queue meanwhile. A message the kernel refuses (an
// unreachable address) is skipped, as a lost UDP datagram would be; a
// refused GSO message goes datagram by datagram, and if the kernel said
// GSO cannot work there, GSO is off from then on.
func (c *Conn) send(b *batch) {
	if b == nil {
		return
	}
	k := b.pack(!c.noGSO.Load())
	for done := 0; done < k; {
		n, err := c.w.WriteBatch(b.msgs[done:k], 0)
		c.n.calls.Add(1)
		for _, s := range b.segs[done : done+max(n, 0)] {
			c.n.datagrams.Add(uint64(s))
			if s > 1 {
				c.n.segmented.Add(uint64(s))
			}
		}
		if n > 0 {
			done += n
		}
		if err != nil || n <= 0 {
			if done < k && b.segs[done] > 1 {
				if errors.Is(err, unix.EIO) || errors.Is(err, unix.EINVAL) {
					// No GSO on this path (no checksum offload, IPsec, a
					// segment past the route's MTU): not again.
					c.noGSO.Store(true)
				}
				a := b.msgs[done].Addr.(*net.UDPAddr).AddrPort()
				a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
				for _, p := range b.msgs[done].Buffers {
					c.n.calls.Add(1)
					if _, err := c.UDPConn.WriteToUDPAddrPort(p, a); err == nil {
						c.n.datagrams.Add(1)
					}
				}
			}
			done++ // the one that failed
		}
	}
	for i := range b.ents[:b.n] {
		b.ents[i].used = false
	}
	for i := range b.msgs[:k] {
		b.msgs[i].Buffers, b.msgs[i].OOB = nil, nil
	}
	b.n = 0
	c.mu.Lock()
	c.free = append(c.free, b)
	c.mu.Unlock()
}
