package sfu

import (
	"time"

	"github.com/pion/rtp"
)

// Pacing (issue #16): what the SFU sends one subscriber leaves no faster
// than paceFactor times that subscriber's estimate (bwe.go), audio first.
// Without it a keyframe, or several tiles' frames at once (rooms
// loadtest's publishers start every second with a keyframe, all in
// step), left in one burst: on a 300 kbit/s link with a 200 ms queue
// (tbf) the burst overflowed the queue and the audio behind it was
// dropped (gaps of up to a second), the keyframe's tail with it (a PLI,
// another keyframe, another burst).
//
// It is a token bucket per subscribe connection, in the estimator's
// interceptor (bweStream.Write), so every packet on the connection goes
// through it: the forwarder's, the retransmissions. A packet goes at
// once, in the writer's goroutine, while the bucket has tokens and
// nothing waits: on a link the estimate says is wide, that is every
// packet, and pacing costs one comparison. Otherwise a video packet is
// copied into the connection's queue (a ring of slots whose buffers are
// reused: no allocation once warm) and a goroutine of the connection's
// own, started on the first packet queued and ended by Close, sends it
// when the bucket allows. Audio never waits: it takes its tokens (the
// bucket may go into debt) and video waits for them. A packet is
// numbered for the estimate (stamped) when it really leaves, so the
// feedback sees the link's queue, not the pacer's.
//
// The hook into the write path is bweStream.send: the next writer in
// the interceptor chain (sender reports, then pion's SRTP writer) is
// called with one packet, from the writer's goroutine or the pacer's.

const (
	// paceFactor: the bucket fills at this times the estimate. Above 1
	// so a keyframe drains in a fraction of a second; the allocation
	// keeps the average under the estimate.
	paceFactor = 1.25
	// paceWindow: the bucket holds this long's worth at its rate, and at
	// least paceMinBurst bytes (one packet always goes).
	paceWindow   = 20 * time.Millisecond
	paceMinBurst = 1500
	// paceMaxDelay: when more is queued than this drains at the pace
	// rate, the rate rises to drain it in this (the estimate lags, or the
	// allocation has not caught up): late beats lost.
	paceMaxDelay = 500 * time.Millisecond
	// paceRing bounds the queue; a packet that finds it full goes at once.
	paceRing = 512
)

// pacedPkt is one packet waiting in the queue: its stream (whose
// extension slot stamps it) and copies of its header and payload.
type pacedPkt struct {
	s    *bweStream
	hdr  rtp.Header
	csrc []uint32
	buf  []byte
	size int
}

// pacer is one subscribe connection's pacing state, under its bwe's mu.
type pacer struct {
	tokens   float64 // bytes; negative: in debt (audio went first)
	lastFill int64   // unix ns
	// q is the queue (made on the first packet queued), n packets from
	// head, queued bytes; sending: the head is being written now (the
	// writer's direct path waits for the queue, so a stream keeps its
	// order).
	q       *[paceRing]pacedPkt
	head, n int
	queued  int
	sending bool
	running bool
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	timer   *time.Timer
	// off: never pace (the control law's tests, which send faster than
	// real time and stamp the send times themselves).
	off      bool
	held     uint64 // packets that waited (tests, metrics)
	overflow uint64 // packets that found the queue full
}

// rate is the bucket's fill rate in bytes/s (0: not limited: no
// estimate yet). Under b.mu.
func (p *pacer) rate(est float64) float64 {
	if est <= 0 {
		return 0
	}
	r := paceFactor * est / 8
	return max(r, float64(p.queued)/paceMaxDelay.Seconds())
}

// fill adds the tokens earned since the last fill. Under b.mu.
func (p *pacer) fill(now int64, rate float64) {
	depth := max(rate*paceWindow.Seconds(), paceMinBurst)
	if p.lastFill == 0 {
		p.tokens = depth
	} else if dt := now - p.lastFill; dt > 0 {
		p.tokens = min(depth, p.tokens+rate*float64(dt)/1e9)
	}
	p.lastFill = now
}

// admit decides one packet's fate: true, it goes now (its tokens taken);
// false, it was queued (copied) for the pacer's goroutine. Under b.mu.
func (b *bwe) admit(s *bweStream, h *rtp.Header, payload []byte, size int, now int64) bool {
	p := &b.pace
	est := 0.0
	if b.seen {
		est = b.st.est
	}
	rate := p.rate(est)
	if p.off || rate == 0 && p.n == 0 && !p.sending {
		return true
	}
	p.fill(now, rate)
	idle := p.n == 0 && !p.sending
	if s.audio || (idle && p.tokens > 0) || len(h.Extensions) > 0 || p.closed || p.n == paceRing {
		if p.n == paceRing {
			p.overflow++
		}
		p.tokens -= float64(size)
		return true
	}
	if p.q == nil {
		p.q = new([paceRing]pacedPkt)
		p.wake, p.done = make(chan struct{}, 1), make(chan struct{})
	}
	sl := &p.q[(p.head+p.n)%paceRing]
	sl.s, sl.size = s, size
	sl.hdr = *h
	// Copies into the slot's own arrays: the header and payload belong
	// to a binding (or the publisher's packet) that is reused at once.
	sl.csrc = append(sl.csrc[:0], h.CSRC...)
	sl.hdr.CSRC = sl.csrc
	sl.hdr.Extensions = nil
	sl.buf = append(sl.buf[:0], payload...)
	p.n++
	p.queued += size
	p.held++
	if !p.running {
		p.running = true
		go b.paceLoop(p.wake, p.done)
	} else {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return false
}

// paceLoop sends the queue as the bucket allows, until the connection
// closes (Close closes done).
func (b *bwe) paceLoop(wake, done <-chan struct{}) {
	p := &b.pace
	for {
		b.mu.Lock()
		if p.n == 0 {
			b.mu.Unlock()
			select {
			case <-wake:
				continue
			case <-done:
				return
			}
		}
		now := time.Now().UnixNano()
		est := 0.0
		if b.seen {
			est = b.st.est
		}
		rate := p.rate(est)
		p.fill(now, rate)
		if rate > 0 && p.tokens <= 0 {
			wait := time.Duration((-p.tokens + 1) / rate * 1e9)
			if p.timer == nil {
				p.timer = time.NewTimer(wait)
			} else {
				p.timer.Reset(wait)
			}
			t := p.timer
			b.mu.Unlock()
			select {
			case <-t.C:
			case <-done:
				return
			}
			continue
		}
		sl := &p.q[p.head]
		p.tokens -= float64(sl.size)
		p.sending = true
		seq := b.stampLocked(now, sl.size)
		b.mu.Unlock()
		_, _ = sl.s.send(&sl.hdr, sl.buf, nil, seq)
		b.mu.Lock()
		sl.s = nil
		p.head = (p.head + 1) % paceRing
		p.n--
		p.queued -= sl.size
		p.sending = false
		b.mu.Unlock()
	}
}

// Close ends the pacer's goroutine: the connection is closing, what is
// queued is let go.
func (b *bwe) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &b.pace
	if !p.closed {
		p.closed = true
		if p.done != nil {
			close(p.done)
		}
		if p.timer != nil {
			p.timer.Stop()
		}
	}
	return nil
}

// paced is how many packets waited in the pacer's queue, and how many
// found it full.
func (b *bwe) paced() (held, overflow uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.pace.held, b.pace.overflow
}
