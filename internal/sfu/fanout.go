package sfu

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// fanout is the local track every subscriber of one published track is
// bound to. Unlike pion's TrackLocalStaticRTP it keeps one binding per
// subscriber that the forwarder writes to directly: the packet path reads
// the bindings without a lock (a copy-on-write list) and takes only each
// binding's own lock while it writes to it, allocates nothing (each
// binding reuses its own header), and can skip one subscriber (paused)
// or write to one alone (a retransmission).
type fanout struct {
	id, streamID string
	codec        webrtc.RTPCodecCapability
	kind         webrtc.RTPCodecType
	// simulcast: the track comes in layers (layers.go) and each binding
	// gets the one it wants; otherwise every binding gets layer 0.
	simulcast bool
	layers    *[maxLayers]atomic.Pointer[layer]
	// switches counts bindings moved between layers (the SFU's).
	switches *atomic.Uint64

	// kick wakes the track's owner (owner.go) when a binding is made, so
	// it chooses its layer; nil for a track without one.
	kick chan struct{}

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
	// hdr is reused for every packet; after a write it holds the last
	// header sent.
	hdr rtp.Header
	// seq numbers what this subscriber gets (seqmap.go).
	seq seqMap
	// cur is the layer this subscriber gets (-1: none yet), want the one
	// it should get (switched to at its next keyframe; the track's owner
	// chooses it, owner.go); tsOff is added to the layer's timestamps so
	// they run on across switches.
	cur, want int8
	// waitKey: a simulcast binding just resumed (shown again, or its
	// bandwidth back) gets nothing until a keyframe: the frames it
	// missed while paused make the layer's next delta frames useless.
	waitKey bool
	tsOff   uint32
	// lastTSOut is the timestamp of the newest packet sent (not of a
	// retransmission, which reuses hdr).
	lastTSOut uint32
	// VP8 ids of a simulcast track (vp8ids.go): rewrite says they are
	// rewritten, with these offsets; last* are the newest sent; pbuf
	// holds the rewritten payload (made on the first packet).
	rewrite         bool
	pidOff, lastPid uint16
	tl0Off, lastTl0 uint8
	idsSeen         bool
	pbuf            []byte
	// resent: when each packet was last sent again (a NACK's answer).
	resent *resendGuard
}

func newFanout(codec webrtc.RTPCodecCapability, id, streamID string, kind webrtc.RTPCodecType,
	layers *[maxLayers]atomic.Pointer[layer], simulcast bool) *fanout {
	f := &fanout{id: id, streamID: streamID, codec: codec, kind: kind, layers: layers, simulcast: simulcast,
		paused: map[uint32]bool{}}
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
		b.rewrite = f.simulcast && strings.EqualFold(f.codec.MimeType, webrtc.MimeTypeVP8)
		if f.simulcast {
			// It starts at whichever layer's keyframe comes first; the
			// owner, kicked, chooses the one it wants.
			b.cur, b.want = -1, -1
		}
		old := *f.binds.Load()
		next := make([]*binding, 0, len(old)+1)
		next = append(append(next, old...), b)
		f.binds.Store(&next)
		f.mu.Unlock()
		if f.kick != nil {
			select {
			case f.kick <- struct{}{}:
			default:
			}
		}
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
		} else {
			// Its view goes with it: subscribers come and go for as long
			// as the track lives.
			delete(f.paused, b.ssrc)
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
			if !paused && f.simulcast {
				b.mu.Lock()
				b.waitKey = true
				b.mu.Unlock()
			}
			b.paused.Store(paused)
		}
	}
	return true
}

// states reads, under each binding's lock, what the packet path has for
// every binding (into buf), with the bindings in the same order.
func (f *fanout) states(buf []bindState) ([]bindState, []*binding) {
	binds := *f.binds.Load()
	for _, b := range binds {
		b.mu.Lock()
		buf = append(buf, bindState{ssrc: b.ssrc, cur: b.cur, want: b.want, paused: b.paused.Load()})
		b.mu.Unlock()
	}
	return buf, binds
}

// stateOf is the state of the binding of the sender with ssrc, if bound.
func (f *fanout) stateOf(ssrc uint32) (*bindState, bool) {
	b := f.bindingFor(ssrc)
	if b == nil {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return &bindState{ssrc: ssrc, cur: b.cur, want: b.want, paused: b.paused.Load()}, true
}

// WriteRTP sends pkt, a packet of layer li (key: it starts a keyframe),
// to every subscriber that gets that layer and is not paused, with its
// own SSRC, payload type and numbering; a subscriber waiting for this
// layer switches to it at a keyframe. It returns how many it went to.
// pkt is not modified.
func (f *fanout) WriteRTP(li int8, pkt *rtp.Packet, key bool) int {
	binds := *f.binds.Load()
	n := 0
	for _, b := range binds {
		b.mu.Lock()
		if f.writeLocked(b, li, pkt, key) {
			n++
		}
		b.mu.Unlock()
	}
	return n
}

// writeLocked is WriteRTP for one binding, under b.mu: it says whether
// pkt went to b.
func (f *fanout) writeLocked(b *binding, li int8, pkt *rtp.Packet, key bool) bool {
	if b.cur != li {
		// A subscriber not started yet starts at whichever layer's
		// keyframe comes first, and moves to its own later.
		if !key || b.paused.Load() || (b.want != li && b.want >= 0 && b.cur >= 0) {
			return false // another layer's subscriber
		}
		if b.cur >= 0 && f.switches != nil {
			f.switches.Add(1)
		}
		b.switchTo(li, pkt, f.layers, f.codec.ClockRate)
	}
	if b.paused.Load() {
		b.seq.collapse()
		return false
	}
	if b.waitKey {
		if !key || (b.want >= 0 && li != b.want) {
			b.seq.collapse()
			return false
		}
		b.waitKey = false
	}
	out, ok := b.seq.out(pkt.SequenceNumber)
	if !ok {
		return false // late, from a stretch this subscriber did not get
	}
	b.hdr = pkt.Header
	b.hdr.SSRC, b.hdr.PayloadType, b.hdr.SequenceNumber = b.ssrc, b.pt, out
	b.hdr.Timestamp += b.tsOff
	newest := out == b.seq.lastOut // not a late one
	if newest {
		b.lastTSOut = b.hdr.Timestamp
	}
	payload := pkt.Payload
	if b.rewrite {
		payload = b.rewriteIDs(payload, newest)
	}
	// A subscriber's failure (its connection closing) is its own: the
	// others still get the packet.
	_, _ = b.w.WriteRTP(&b.hdr, payload)
	return true
}

// switchTo moves the binding to layer li, whose keyframe pkt starts. Its
// numbering continues from the last packet sent, and its timestamps from
// where the old layer's would be now, so the subscriber sees one stream
// going on. Under b.mu.
func (b *binding) switchTo(li int8, pkt *rtp.Packet, layers *[maxLayers]atomic.Pointer[layer], clock uint32) {
	if b.want < 0 {
		b.want = li
	}
	if b.cur >= 0 && b.seq.started {
		ts := b.lastTSOut + 1
		if old := layers[b.cur].Load(); old != nil {
			elapsed := max(time.Now().UnixNano()-old.lastAt.Load(), 0)
			est := old.lastTS.Load() + b.tsOff + uint32(elapsed*int64(clock)/int64(time.Second))
			if newer32(est, b.lastTSOut) {
				ts = est
			}
		}
		b.tsOff = ts - pkt.Timestamp
		b.seq.restartAt()
		if d, ok := parseVP8IDs(pkt.Payload); ok && b.rewrite && b.idsSeen {
			if d.pidLen > 0 {
				b.pidOff = (b.lastPid + 1 - d.pid(pkt.Payload)) & 0x7fff
			}
			if d.tl0At > 0 {
				b.tl0Off = b.lastTl0 + 1 - pkt.Payload[d.tl0At]
			}
		}
	}
	b.cur = li
}

// rewriteIDs gives the payload with its VP8 ids moved by the binding's
// offsets (in pbuf), noting them as the newest sent if newest. A payload
// without ids, or too long for pbuf, goes as it is. Under b.mu.
func (b *binding) rewriteIDs(payload []byte, newest bool) []byte {
	d, ok := parseVP8IDs(payload)
	if !ok || (d.pidLen == 0 && d.tl0At == 0) {
		return payload
	}
	if b.pbuf == nil {
		b.pbuf = make([]byte, 1500)
	}
	if len(payload)+1 > len(b.pbuf) {
		return payload
	}
	out, pid, tl0 := rewriteVP8(b.pbuf, payload, d, b.pidOff, b.tl0Off)
	if newest {
		b.lastPid, b.lastTl0, b.idsSeen = pid, tl0, true
	}
	return out
}

// newer32 says whether RTP timestamp a comes after b.
func newer32(a, b uint32) bool { return a != b && a-b < 1<<31 }

// markGap says packets were held back from everyone (audio not among
// the loudest): each subscriber's numbering closes over the gap.
func (f *fanout) markGap() {
	for _, b := range *f.binds.Load() {
		b.mu.Lock()
		b.seq.collapse()
		b.mu.Unlock()
	}
}

// skipOne takes a packet of layer li not forwarded (a padding-only probe)
// out of the numbering of every subscriber getting that layer.
func (f *fanout) skipOne(li int8, seq uint16) {
	for _, b := range *f.binds.Load() {
		b.mu.Lock()
		if b.cur == li {
			b.seq.skipOne(seq)
		}
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
func (b *binding) resendFrom(layers *[maxLayers]atomic.Pointer[layer], lost []uint16) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur < 0 {
		return 0
	}
	l := layers[b.cur].Load()
	if l == nil || l.hist == nil {
		return 0
	}
	h := l.hist
	n := 0
	if b.resent == nil {
		b.resent = new(resendGuard) // resendguard.go
	}
	now := time.Now().UnixNano()
	for _, o := range lost {
		p, ok := b.seq.in(o)
		if !ok || !b.resent.allow(o, now) {
			continue
		}
		hdr, payload, ok := h.get(p)
		if !ok {
			continue
		}
		b.hdr = hdr
		b.hdr.SSRC, b.hdr.PayloadType, b.hdr.SequenceNumber = b.ssrc, b.pt, o
		b.hdr.Timestamp += b.tsOff
		if b.rewrite {
			payload = b.rewriteIDs(payload, false)
		}
		_, _ = b.w.WriteRTP(&b.hdr, payload)
		n++
	}
	return n
}
