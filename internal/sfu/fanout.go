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

	mu    sync.Mutex // writers of binds
	binds atomic.Pointer[[]*binding]
}

// binding is one subscriber's end of a fanout.
type binding struct {
	ctxID string // the TrackLocalContext's id: which sender this is
	ssrc  uint32
	pt    uint8
	w     webrtc.TrackLocalWriter
	// hdr is reused by the forwarding goroutine for every packet.
	hdr rtp.Header
	// mu serialises writes from the forwarder and from retransmissions.
	mu sync.Mutex
}

func newFanout(codec webrtc.RTPCodecCapability, id, streamID string, kind webrtc.RTPCodecType) *fanout {
	f := &fanout{id: id, streamID: streamID, codec: codec, kind: kind}
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

// WriteRTP sends pkt to every subscriber with its own SSRC and payload
// type; it returns how many it went to. pkt is not modified.
func (f *fanout) WriteRTP(pkt *rtp.Packet) int {
	binds := *f.binds.Load()
	for _, b := range binds {
		b.mu.Lock()
		b.hdr = pkt.Header
		b.hdr.SSRC, b.hdr.PayloadType = b.ssrc, b.pt
		// A subscriber's failure (its connection closing) is its own:
		// the others still get the packet.
		_, _ = b.w.WriteRTP(&b.hdr, pkt.Payload)
		b.mu.Unlock()
	}
	return len(binds)
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

// resend writes one earlier packet again to one subscriber.
func (b *binding) resend(hdr rtp.Header, payload []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hdr = hdr
	b.hdr.SSRC, b.hdr.PayloadType = b.ssrc, b.pt
	_, _ = b.w.WriteRTP(&b.hdr, payload)
}
