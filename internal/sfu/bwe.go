package sfu

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// A bandwidth estimate per subscriber connection (issue #16). Every
// packet the SFU sends on a subscribe connection carries a
// transport-wide sequence number (the TWCC header extension); the
// subscriber's transport-cc feedback says which arrived and when, and the
// estimate follows from that: the rate that got through, the loss, and
// how much the one-way delay grew over its floor (a queue building up in
// front of a narrow link).
//
// Why not pion's gcc (pkg/gcc behind pkg/cc): it works with an SFU in
// principle (it only watches what is sent and the feedback), but its send
// path costs allocations on every packet (a container/list element per
// packet in its feedback history, a map for the attributes when pion
// passes none, two bytes for the extension in the TWCC header
// interceptor), where the forwarding path here allocates nothing
// (BenchmarkForward); its default pacer copies every packet and runs a
// 5 ms ticker per connection (a 50-person call: 50 tickers), and it hands
// its estimate out per PeerConnection through a callback that gets no
// usable id. This one records each packet in a fixed ring, stamps the
// extension from a buffer of the stream's own, and keeps the control law
// small enough to test as a table (bweNext). The allocation
// (allocate.go) keeps the average sent under the estimate, and the
// pacer (pacer.go) spreads its bursts.

const twccURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

// sentRing is how many sent packets are remembered for their feedback
// (a power of two): at 50 subscribed tracks, about two seconds' worth.
const sentRing = 1 << 13

// Estimate bounds and the control law's constants.
const (
	bweInitial = 1_500_000 // bits/s when the first feedback comes
	bweMin     = 50_000
	bweMax     = 50_000_000
	// bweInterval is the least span of feedback one step of the control
	// law looks at.
	bweInterval = 200 * time.Millisecond
	// Queuing delay over the floor past which the link is overused (in
	// bweOverSteps steps running), and under which it may grow. The
	// queue of a step is its least packet's: a pion receiver stamps
	// arrivals when its application reads them, so a busy client's stall
	// delays a few packets, where a queue in the network delays them all;
	// a stall rarely lasts three steps.
	bweOveruse   = 100 * time.Millisecond
	bweOverSteps = 3
	bweUnderused = 40 * time.Millisecond
	// Loss fractions: over bweLossHigh the estimate falls with the loss;
	// under bweLossLow it may grow; in between it holds (a lossy link
	// that is not full: Wi-Fi, the 5 % test).
	bweLossHigh = 0.10
	bweLossLow  = 0.02
	// bweFloorSpan: the delay floor is the least one-way delay over the
	// last two spans of this.
	bweFloorSpan = 5 * time.Second
	// bweHold: after a decrease, how long before the next may come.
	bweHold = 600 * time.Millisecond
	// bweCeilingFor: how long a decrease caps the estimate's growth.
	bweCeilingFor = 20 * time.Second
	// carriedFor: how long what arrived at a decrease stands for what
	// the link carries (Carried): the estimate is back near it by then.
	carriedFor = 10 * time.Second
)

// wireOverhead is what a packet costs on the link beyond its RTP bytes:
// IPv4 and UDP headers (28) and SRTP's authentication tag (10), rounded
// up. The estimate, the pacer and the layers' costs (forwarder.forward)
// all count it: on a narrow link small packets are a large share (a
// 31 kbit/s voice, 50 packets a second, costs 47 kbit/s on the wire), and
// an estimate of RTP bytes alone settled far under the link (90–170
// kbit/s on a 300 kbit/s link with three voices: no video fitted).
const wireOverhead = 40

// sentPkt is one packet sent, by its transport-wide sequence number.
type sentPkt struct {
	at   int64 // unix ns; 0: empty or already acknowledged
	size int32
	seq  uint16
	// lost: a feedback said it had not arrived. A later one may say it
	// did (a pion receiver records a packet when its application reads
	// it, so one stream read late looks lost at first): the loss is
	// taken back then.
	lost bool
}

// bwe is one subscribe connection's estimator, and the interceptor that
// feeds it (one per PeerConnection, made by bweFactory).
type bwe struct {
	interceptor.NoOp

	mu   sync.Mutex
	next uint16 // the next transport-wide sequence number
	sent [sentRing]sentPkt
	w    bweWindow
	st   bweState
	// seen says feedback has come: until then there is no estimate
	// (a client that did not negotiate transport-cc is never limited).
	seen bool

	estimate atomic.Int64 // bits/s; 0 until the first feedback
	// carried is what arrived (bits/s) when the link was full, at the
	// decreases since carriedAt (unix ns): what it carries (Carried).
	// Written under mu, read by the allocator without it.
	carried, carriedAt atomic.Int64

	pace pacer // pacer.go
}

// bweWindow accumulates what the feedback says between two steps.
type bweWindow struct {
	start         int64 // unix ns of the first feedback in it; 0: empty
	bytes         int64 // received
	recv, lost    int
	firstArr      int64 // µs, receiver's clock
	lastArr       int64
	queueMin      int64 // ns, the least over the floor; -1: none yet
	floorCur      int64 // least one-way delay in this floor span (ns)
	floorPrev     int64 // least in the span before
	floorSpanFrom int64 // unix ns
}

// bweState is the control law's state.
type bweState struct {
	est    float64 // bits/s
	lastAt int64   // unix ns of the last step
	// settled: the link was seen overused once; until then the estimate
	// grows fast (a new viewer on a good link gets its large layers in
	// seconds, not a minute).
	settled bool
	// queued counts the steps running whose queue was over bweOveruse,
	// lossy those whose loss was over bweLossHigh.
	queued, lossy int
	// downAt (unix ns) is the last decrease: feedback on what was sent
	// before it says nothing new, so for bweHold it cannot fall again.
	downAt int64
	// ceiling: for bweCeilingFor after a decrease the estimate does not
	// grow past what arrived when the link was full (ceilingAfter), so
	// it settles at the link instead of probing past it every few
	// seconds; then it may probe higher again.
	ceiling float64
}

// ceilingAfter is the ceiling after a decrease at now, when arrived
// bits/s got through the full link. Not the estimate before the decrease:
// that was a probe's, which nothing had tested (397 kbit/s on a 300
// kbit/s link, in TestViewerOn300Kbit). A decrease within the last one's
// ceilingFor is the same congestion still draining (feedback on packets
// queued before it): it keeps the higher ceiling. Before, each decrease
// of such a cascade set the ceiling to 0.9 × the estimate it lowered,
// and three of them in two seconds pinned a 300 kbit/s viewer at 173
// kbit/s for 20 s, under its own audio's 160: no video at all.
func (st *bweState) ceilingAfter(now int64, arrived float64) float64 {
	if st.downAt != 0 && now-st.downAt < int64(bweCeilingFor) {
		return max(st.ceiling, arrived)
	}
	return arrived
}

// bweSample is what one window of feedback says.
type bweSample struct {
	rate  float64       // bits/s that arrived
	loss  float64       // fraction lost
	queue time.Duration // queuing delay over the floor (see bweOveruse)
	dt    time.Duration // since the last step
	// start: the link was never seen overused (see bweState.settled).
	start bool
}

// bweNext is the control law: the estimate after a step, from the one
// before and what the feedback said. Overuse (a queue, or heavy loss)
// brings it under what arrived; a quiet link lets it grow by about 8 %
// a second (40 kbit/s a second at least, so a low estimate climbs back in
// seconds; 50 % a second until the first overuse), past what is sent now
// (the allocation probes with the next layer's packets), but not far
// past it.
func bweNext(est float64, s bweSample) float64 {
	switch {
	case s.queue > bweOveruse || s.loss > bweLossHigh:
		// What got through is what the link carries now (a full one
		// drops or queues the rest).
		est = min(est, 0.85*s.rate)
	case s.queue < bweUnderused && s.loss < bweLossLow:
		growth := 0.08
		if s.start {
			growth = 0.5
		}
		grown := est + max(growth*est, 40_000)*min(s.dt.Seconds(), 1)
		// Not far above what arrived: an estimate that ran far ahead of
		// the traffic would make the next probe a flood.
		ceiling := 1.5*s.rate + 500_000
		est = max(est, min(grown, ceiling))
	}
	return min(max(est, bweMin), bweMax)
}

// Estimate is the subscriber connection's estimate in bits/s, 0 while no
// feedback has come.
func (b *bwe) Estimate() int64 { return b.estimate.Load() }

// Carried is what the full link carried (bits/s) at the decreases of
// the last carriedFor since the first of them; else 0. The estimate is
// set under it (0.85×) so that the queue drains; the allocation keeps
// what was on within it (bandwidth.go).
func (b *bwe) Carried(now int64) int64 {
	if now-b.carriedAt.Load() < int64(carriedFor) {
		return b.carried.Load()
	}
	return 0
}

// noteCarried notes that arrived bits/s got through at a decrease at now.
// The decreases of one congestion come within carriedFor of its first,
// which measured the full link; those after it measure less, what was
// sent while the queue drained (a 300 kbit/s viewer's second decrease
// saw 212 kbit/s after its first saw 237), so the most of them counts.
// Not renewed past carriedFor: a link that keeps narrowing is followed
// by the estimate, not kept to what it carried first.
func (b *bwe) noteCarried(now int64, arrived float64) {
	if now-b.carriedAt.Load() >= int64(carriedFor) {
		b.carried.Store(int64(arrived))
		b.carriedAt.Store(now)
		return
	}
	b.carried.Store(max(b.carried.Load(), int64(arrived)))
}

// bweStream stamps one local stream's packets: its own extension slot
// and buffer (the stream's writes are serialised by its binding's lock),
// so stamping allocates nothing.
type bweStream struct {
	b   *bwe
	id  uint8
	w   interceptor.RTPWriter
	ext [1]rtp.Extension
	buf [2]byte
	// audio is never held back by the pacer (pacer.go).
	audio bool
}

// BindLocalStream stamps a stream's packets with the transport-wide
// sequence number, if the subscriber negotiated the extension.
func (b *bwe) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == twccURI && e.ID > 0 && e.ID < 15 {
			return &bweStream{b: b, id: uint8(e.ID), w: w, audio: strings.HasPrefix(strings.ToLower(info.MimeType), "audio/")}
		}
	}
	return w
}

// Write sends one packet on, numbered and recorded, now or, when the
// pacer holds it back, from the pacer's goroutine (pacer.go).
func (s *bweStream) Write(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
	size := h.MarshalSize() + len(payload) + wireOverhead
	now := time.Now().UnixNano()
	b := s.b
	b.mu.Lock()
	if !b.admit(s, h, payload, size, now) {
		b.mu.Unlock()
		return size, nil // queued: it goes when the pacer sends it
	}
	seq := b.stampLocked(now, size)
	b.mu.Unlock()
	return s.send(h, payload, a, seq)
}

// send stamps one packet with its transport-wide number and writes it to
// the next writer: the pacer's one hook into the write path. The
// stream's packets are sent one at a time (its binding's lock, or the
// pacer's order), so its extension slot is its own.
func (s *bweStream) send(h *rtp.Header, payload []byte, a interceptor.Attributes, seq uint16) (int, error) {
	binary.BigEndian.PutUint16(s.buf[:], seq)
	if len(h.Extensions) == 0 {
		// Appended into the stream's own slot: the header's slice may
		// share its array with the publisher's packet (or the history's),
		// which another goroutine reuses.
		h.Extension, h.Extensions = false, s.ext[:0]
	}
	if err := h.SetExtension(s.id, s.buf[:]); err != nil {
		return 0, err
	}
	return s.w.Write(h, payload, a)
}

// stampLocked numbers one packet leaving now. Under b.mu.
func (b *bwe) stampLocked(now int64, size int) uint16 {
	seq := b.next
	b.next++
	b.sent[seq&(sentRing-1)] = sentPkt{at: now, size: int32(size), seq: seq}
	return seq
}

// BindRTCPReader reads the subscriber's transport-cc feedback on its way
// to the senders' readers.
func (b *bwe) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(buf []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(buf, a)
		if err != nil {
			return n, a, err
		}
		if a == nil {
			a = interceptor.Attributes{}
		}
		pkts, err := a.GetRTCPPackets(buf[:n])
		if err != nil {
			return n, a, nil // not ours to refuse: the reader above decides
		}
		for _, p := range pkts {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				b.onFeedback(fb, time.Now().UnixNano())
			}
		}
		return n, a, nil
	})
}

// onFeedback takes one transport-cc feedback packet.
func (b *bwe) onFeedback(fb *rtcp.TransportLayerCC, now int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w.start == 0 {
		b.w.start, b.w.queueMin = now, -1
	}
	arrival := int64(fb.ReferenceTime) * 64_000 // µs
	seq := fb.BaseSequenceNumber
	left := int(fb.PacketStatusCount)
	deltas := fb.RecvDeltas
	di := 0
	status := func(sym uint16) bool {
		if left == 0 {
			return false
		}
		left--
		received := sym == rtcp.TypeTCCPacketReceivedSmallDelta || sym == rtcp.TypeTCCPacketReceivedLargeDelta
		if received {
			if di >= len(deltas) {
				return false
			}
			arrival += deltas[di].Delta
			di++
		}
		b.ack(seq, received, arrival)
		seq++
		return true
	}
chunks:
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range c.RunLength {
				if !status(c.PacketStatusSymbol) {
					break chunks
				}
			}
		case *rtcp.StatusVectorChunk:
			for _, sym := range c.SymbolList {
				if !status(sym) {
					break chunks
				}
			}
		}
	}
	b.seen = true
	if now-b.w.start >= int64(bweInterval) && b.w.recv+max(b.w.lost, 0) > 0 {
		b.step(now)
	}
	if b.estimate.Load() == 0 {
		b.st.est = bweInitial
		b.estimate.Store(bweInitial)
	}
}

// ack takes one packet's fate from the feedback (arrival in µs on the
// subscriber's clock). Under b.mu.
func (b *bwe) ack(seq uint16, received bool, arrival int64) {
	p := &b.sent[seq&(sentRing-1)]
	if p.at == 0 || p.seq != seq {
		return // too old, or reported already
	}
	w := &b.w
	if !received {
		if !p.lost {
			p.lost = true
			w.lost++
		}
		return
	}
	if p.lost {
		w.lost-- // counted lost before: it came after all
	}
	at, size := p.at, p.size
	p.at = 0
	w.recv++
	w.bytes += int64(size)
	if w.firstArr == 0 || arrival < w.firstArr {
		w.firstArr = arrival
	}
	w.lastArr = max(w.lastArr, arrival)
	// One-way delay, up to the two clocks' offset: only its growth over
	// the floor means anything.
	d := arrival*1000 - at
	if at-w.floorSpanFrom >= int64(bweFloorSpan) {
		w.floorPrev, w.floorCur, w.floorSpanFrom = w.floorCur, d, at
	} else if d < w.floorCur {
		w.floorCur = d
	}
	floor := w.floorCur
	if w.floorPrev != 0 && w.floorPrev < floor {
		floor = w.floorPrev
	}
	if q := d - floor; w.queueMin < 0 || q < w.queueMin {
		w.queueMin = q
	}
}

// step runs the control law over the window and starts a new one.
// Under b.mu.
func (b *bwe) step(now int64) {
	w := &b.w
	if b.st.est == 0 {
		b.st.est = bweInitial
	}
	lost := max(w.lost, 0)
	s := bweSample{loss: float64(lost) / float64(w.recv+lost)}
	// Heavy loss counts once it has lasted two steps (a receiver's stall
	// can look like loss for one).
	if s.loss > bweLossHigh {
		b.st.lossy++
		if b.st.lossy < 2 {
			s.loss = bweLossLow
		}
	} else {
		b.st.lossy = 0
	}
	// The rate over the arrivals' span, or the window's if they came at
	// once (one packet, a burst).
	span := time.Duration(w.lastArr-w.firstArr) * time.Microsecond
	span = max(span, time.Duration(now-w.start))
	s.rate = float64(w.bytes*8) / span.Seconds()
	if w.recv > 0 && w.queueMin > 0 {
		s.queue = time.Duration(w.queueMin)
	}
	// A queue counts once it has lasted bweOverSteps steps.
	if s.queue > bweOveruse {
		b.st.queued++
		if b.st.queued < bweOverSteps {
			s.queue = bweUnderused // neither grow nor fall yet
		}
	} else {
		b.st.queued = 0
	}
	if b.st.lastAt != 0 {
		s.dt = time.Duration(now - b.st.lastAt)
	}
	s.start = !b.st.settled
	next := bweNext(b.st.est, s)
	switch {
	case next < b.st.est && now-b.st.downAt < int64(bweHold):
		next = b.st.est
	case next < b.st.est:
		// At most halved at once: what arrived in a step of heavy loss
		// or a long queue understates the link.
		next = max(next, b.st.est/2)
		b.st.ceiling = b.st.ceilingAfter(now, s.rate)
		b.st.settled, b.st.downAt = true, now
		b.noteCarried(now, s.rate)
		// The queue and the loss that brought it down must be seen
		// afresh, for as many steps, to bring it down again: the queue
		// drains in about a second once less is sent, and until then each
		// step's feedback would count the same congestion again (a 300
		// kbit/s viewer fell 342 → 187 → 183 → 154 kbit/s in two seconds,
		// under its own audio).
		b.st.queued, b.st.lossy = 0, 0
	case next > b.st.est && now-b.st.downAt < int64(bweCeilingFor):
		next = max(b.st.est, min(next, b.st.ceiling))
	}
	b.st.est = next
	b.st.lastAt = now
	b.estimate.Store(int64(b.st.est))
	*w = bweWindow{floorCur: w.floorCur, floorPrev: w.floorPrev, floorSpanFrom: w.floorSpanFrom, queueMin: -1}
}

// bweFactory makes one bwe per subscribe connection. The SFU makes its
// subscribe connections one at a time under lock and takes the bwe just
// made (take): pion's interceptor ids say nothing about which
// connection they belong to.
type bweFactory struct {
	mu   sync.Mutex
	last *bwe
}

// NewInterceptor makes the estimator of one new connection.
func (f *bweFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	b := &bwe{}
	f.mu.Lock()
	f.last = b
	f.mu.Unlock()
	return b, nil
}

// take is the bwe made last, once.
func (f *bweFactory) take() *bwe {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.last
	f.last = nil
	return b
}

// subscribeInterceptors are the subscribe connections' interceptors: the
// others' (interceptors), and an estimator each, made by the factory
// returned.
func subscribeInterceptors(m *webrtc.MediaEngine) (*interceptor.Registry, *bweFactory, error) {
	reg, err := interceptors(m)
	if err != nil {
		return nil, nil, err
	}
	f := &bweFactory{}
	reg.Add(f)
	return reg, f, nil
}

// newSubscribeConnection makes a subscribe connection and its estimator;
// in takes its incoming RTCP (rtcpin.go).
func (s *SFU) newSubscribeConnection(in *rtcpIn) (*webrtc.PeerConnection, *bwe, error) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	pc, err := s.subscribeAPI(in).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, err
	}
	return pc, s.bwes.take(), nil
}
