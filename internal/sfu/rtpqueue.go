package sfu

import (
	"io"
	"sync"

	"github.com/pion/transport/v5/packetio"
)

// rtpQueue is an SRTP read stream's buffer (a publisher's media on its way
// to the track's reader) that holds only what is queued now. pion's
// packetio.Buffer grows to the largest burst its stream ever queued (up to
// 1 MB: a reader that falls behind for a moment on a busy machine) and
// keeps that for the stream's life; here each packet has a buffer from a
// pool every stream shares, given back once read.
type rtpQueue struct {
	mu     sync.Mutex
	q      []*[]byte // FIFO: q[head:] are queued
	head   int
	closed bool
	notify chan struct{}
}

// rtpQueueMax bounds the packets one stream queues (about as many bytes as
// pion's 1 MB limit at full-size packets): past it, packets are dropped.
const rtpQueueMax = 800

// rtpQueueKeep is the queue length whose slots an empty queue keeps.
const rtpQueueKeep = 64

// Packet buffers come in two sizes: rtpPacketSize fits any packet the
// receive MTU lets through, rtpSmallSize a voice packet (Opus at 20 ms),
// so a queue of voice holds a sixth of the memory.
const (
	rtpPacketSize = 1500
	rtpSmallSize  = 256
)

var (
	rtpPackets = sync.Pool{New: func() any {
		b := make([]byte, rtpPacketSize)
		return &b
	}}
	rtpSmall = sync.Pool{New: func() any {
		b := make([]byte, rtpSmallSize)
		return &b
	}}
)

func newRTPQueue() *rtpQueue { return &rtpQueue{notify: make(chan struct{}, 1)} }

// Write queues a copy of b; a full queue drops it (packetio.ErrFull, which
// SRTP counts as dropped).
func (r *rtpQueue) Write(b []byte) (int, error) {
	var p *[]byte
	switch {
	case len(b) <= rtpSmallSize:
		p = rtpSmall.Get().(*[]byte)
		*p = append((*p)[:0], b...)
	case len(b) <= rtpPacketSize:
		p = rtpPackets.Get().(*[]byte)
		*p = append((*p)[:0], b...)
	default:
		c := append([]byte(nil), b...)
		p = &c
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.put(p)
		return 0, io.ErrClosedPipe
	}
	if len(r.q)-r.head >= rtpQueueMax {
		r.mu.Unlock()
		r.put(p)
		return 0, packetio.ErrFull
	}
	if r.head > 0 && len(r.q) == cap(r.q) {
		// Slide the queued ones to the front before growing.
		n := copy(r.q, r.q[r.head:])
		clear(r.q[n:])
		r.q, r.head = r.q[:n], 0
	}
	r.q = append(r.q, p)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return len(b), nil
}

// Read takes the oldest packet, waiting for one until the queue closes.
func (r *rtpQueue) Read(b []byte) (int, error) {
	for {
		r.mu.Lock()
		if r.head < len(r.q) {
			p := r.q[r.head]
			r.q[r.head] = nil
			r.head++
			if r.head == len(r.q) {
				r.q, r.head = r.q[:0], 0
				if cap(r.q) > rtpQueueKeep {
					r.q = nil // a burst's worth of slots goes too
				}
			}
			r.mu.Unlock()
			if len(*p) > len(b) {
				r.put(p)
				return 0, io.ErrShortBuffer
			}
			n := copy(b, *p)
			r.put(p)
			return n, nil
		}
		if r.closed {
			r.mu.Unlock()
			return 0, io.EOF
		}
		r.mu.Unlock()
		<-r.notify
	}
}

// Close gives the queued packets back and wakes a reader.
func (r *rtpQueue) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	q := r.q[r.head:]
	r.q, r.head = nil, 0
	r.mu.Unlock()
	for _, p := range q {
		r.put(p)
	}
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return nil
}

func (r *rtpQueue) put(p *[]byte) {
	switch cap(*p) {
	case rtpSmallSize:
		rtpSmall.Put(p)
	case rtpPacketSize:
		rtpPackets.Put(p)
	}
}
