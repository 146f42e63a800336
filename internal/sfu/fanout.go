package sfu

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// fanout is the local track every subscriber of one published track is
// bound to. Unlike pion's TrackLocalStaticRTP it keeps one binding per
// subscriber that the forwarder writes to directly: the packet path takes
// no lock (the bindings are a copy-on-write list), allocates nothing (each
// binding reuses its own header), and can skip one subscriber (paused)
// or write to one alone (a retransmission).
type fanout struct {
	id, streamID string
	codec        webrtc.RTPCodecCapability
	kind         webrtc.RTPCodecType

	mu    sync.Mutex // writers of binds and paused
	binds atomic.Pointer[[]*binding]
	// paused are the subscribers (by their SSRC) not sent to now; kept
	// apart from the bindings, which pion makes only at negotiation.
	paused map[uint32]bool
}

// binding is one subscriber's end of a fanout.
type binding struct {
	ctxID string // the TrackLocalContext's id: which sender this is
	ssrc  uint32
	pt    uint8
	w     webrtc.TrackLocalWriter
	// paused: the subscriber does not show this track now.
	paused atomic.Bool

	// mu serialises writes from the forwarder and from retransmissions,
	// and guards what follows.
	mu sync.Mutex
	// hdr is reused for every packet.
	hdr rtp.Header
	// Sequence numbers go out as the publisher's plus offset. After a
	// pause (gap) the offset changes so the subscriber sees no hole to
	// report lost; resumedAt is the first number sent since, and NACKs
	// for numbers before it are not answered (their offset was another).
	offset, lastOut, resumedAt uint16
	started, gap               bool
}

func newFanout(codec webrtc.RTPCodecCapability, id, streamID string, kind webrtc.RTPCodecType) *fanout {
	f := &fanout{id: id, streamID: streamID, codec: codec, kind: kind, paused: map[uint32]bool{}}
	f.binds.Store(&[]*binding{})
	return f
}

func (f *fanout) ID() string                { return f.id }
func (f *fanout) StreamID() string          { return f.streamID }
func (f *fanout) RID() string               { return "" }
func (f *fanout) Kind() webrtc.RTPCodecType { return f.kind }

// Bind is pion adding this track to a subscriber's connection.
func (f *fanout) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if !strings.EqualFold(c.MimeType, f.codec.MimeType) {
			continue
		}
		b := &binding{ctxID: ctx.ID(), ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), w: ctx.WriteStream()}
		f.mu.Lock()
		b.paused.Store(f.paused[b.ssrc])
		old := *f.binds.Load()
		next := make([]*binding, 0, len(old)+1)
		next = append(append(next, old...), b)
		f.binds.Store(&next)
		f.mu.Unlock()
		return c, nil
	}
	return webrtc.RTPCodecParameters{}, errors.New("sfu: the subscriber did not negotiate " + f.codec.MimeType)
}

// Unbind is pion taking the track off a subscriber's connection.
func (f *fanout) Unbind(ctx webrtc.TrackLocalContext) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := *f.binds.Load()
	next := make([]*binding, 0, len(old))
	for _, b := range old {
		if b.ctxID != ctx.ID() {
			next = append(next, b)
		}
	}
	f.binds.Store(&next)
	return nil
}

// setPaused stops or resumes sending to the subscriber whose sender has
// ssrc; it says whether that changed anything.
func (f *fanout) setPaused(ssrc uint32, paused bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.paused[ssrc] == paused {
		return false
	}
	if paused {
		f.paused[ssrc] = true
	} else {
		delete(f.paused, ssrc)
	}
	for _, b := range *f.binds.Load() {
		if b.ssrc == ssrc {
			b.paused.Store(paused)
		}
	}
	return true
}

// WriteRTP sends pkt to every subscriber not paused, with its own SSRC
// and payload type; it returns how many it went to. pkt is not modified.
func (f *fanout) WriteRTP(pkt *rtp.Packet) int {
	binds := *f.binds.Load()
	n := 0
	for _, b := range binds {
		b.mu.Lock()
		if b.paused.Load() {
			b.gap = true
			b.mu.Unlock()
			continue
		}
		n++
		switch {
		case !b.started:
			b.started, b.offset, b.resumedAt = true, 0, pkt.SequenceNumber
		case b.gap:
			b.gap = false
			b.offset = b.lastOut + 1 - pkt.SequenceNumber
			b.resumedAt = b.lastOut + 1
		}
		b.hdr = pkt.Header
		b.hdr.SSRC, b.hdr.PayloadType = b.ssrc, b.pt
		b.hdr.SequenceNumber = pkt.SequenceNumber + b.offset
		b.lastOut = b.hdr.SequenceNumber
		// A subscriber's failure (its connection closing) is its own:
		// the others still get the packet.
		_, _ = b.w.WriteRTP(&b.hdr, pkt.Payload)
		b.mu.Unlock()
	}
	return n
}

// markGap says packets were held back from everyone (audio not among
// the loudest): each subscriber's numbering closes over the gap.
func (f *fanout) markGap() {
	for _, b := range *f.binds.Load() {
		b.mu.Lock()
		b.gap = true
		b.mu.Unlock()
	}
}

// bindingFor finds the binding of the sender whose reports carry ssrc.
func (f *fanout) bindingFor(ssrc uint32) *binding {
	for _, b := range *f.binds.Load() {
		if b.ssrc == ssrc {
			return b
		}
	}
	return nil
}

// publisherSeqs turns the sequence numbers a subscriber reports lost into
// the publisher's, leaving out those sent before the last gap.
func (b *binding) publisherSeqs(out []uint16) []uint16 {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := out[:0]
	for _, seq := range out {
		// Within the 32768 numbers after resumedAt, and not beyond the
		// last sent: modular arithmetic, the numbers wrap.
		if seq-b.resumedAt < 0x8000 && b.lastOut-seq < 0x8000 {
			in = append(in, seq-b.offset)
		}
	}
	return in
}

// resend writes one earlier packet again to one subscriber, numbered as
// it was the first time.
func (b *binding) resend(hdr rtp.Header, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hdr = hdr
	b.hdr.SSRC, b.hdr.PayloadType = b.ssrc, b.pt
	b.hdr.SequenceNumber = hdr.SequenceNumber + b.offset
	_, _ = b.w.WriteRTP(&b.hdr, payload)
}
