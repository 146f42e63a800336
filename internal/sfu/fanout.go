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
	// seq numbers what this subscriber gets (seqmap.go).
	seq seqMap
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
			b.seq.collapse()
			b.mu.Unlock()
			continue
		}
		out, ok := b.seq.out(pkt.SequenceNumber)
		if !ok {
			b.mu.Unlock()
			continue // late, from a stretch this subscriber did not get
		}
		n++
		b.hdr = pkt.Header
		b.hdr.SSRC, b.hdr.PayloadType, b.hdr.SequenceNumber = b.ssrc, b.pt, out
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
		b.seq.collapse()
		b.mu.Unlock()
	}
}

// skipOne takes a packet not forwarded (a padding-only probe) out of every
// subscriber's numbering.
func (f *fanout) skipOne(seq uint16) {
	for _, b := range *f.binds.Load() {
		b.mu.Lock()
		b.seq.skipOne(seq)
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

// resendFrom answers a NACK: the packets the subscriber numbers lost,
// mapped back to the publisher's and still in h, go again with the numbers
// they had. Mapping and writing happen under one hold of the binding's
// lock, so a gap cannot renumber them in between. It returns how many.
func (b *binding) resendFrom(h *history, lost []uint16) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, o := range lost {
		p, ok := b.seq.in(o)
		if !ok {
			continue
		}
		hdr, payload, ok := h.get(p)
		if !ok {
			continue
		}
		b.hdr = hdr
		b.hdr.SSRC, b.hdr.PayloadType, b.hdr.SequenceNumber = b.ssrc, b.pt, o
		_, _ = b.w.WriteRTP(&b.hdr, payload)
		n++
	}
	return n
}
