package sfu

import (
	"sync"
	"unsafe"

	"github.com/pion/rtp"
)

// history keeps a published video layer's recent packets to answer NACKs.
// One history serves every subscriber: a subscriber's sequence numbers map
// back to the publisher's (seqMap.in), and the SSRC and payload type are
// its own. (pion's NACK responder keeps a buffer per subscriber track: 49
// copies of the same packets in a 50-person room.)
//
// What it holds follows the layer's bitrate: payloads go into one byte
// ring sized for about historyKeep of the layer's media (its rate measured
// in RTP time, so a busy machine reading late does not change it), between
// historyMinBytes and historyMaxBytes, and headers into historySize small
// slots. A NACK's round trip needs well under that second; a fixed count
// of MTU-sized buffers held 150 KB for a 150 kbps layer and under half a
// second of a 2.5 Mbps one.
type history struct {
	mu sync.Mutex
	// slots and ring are made on the first packet and let go on reset: a
	// simulcast layer nobody receives holds none.
	slots *[historySize]historySlot
	ring  []byte
	// end counts the bytes ever written to the ring: a payload written at
	// position at is still there while end-at <= len(ring).
	end uint64
	// The rate: bytes added since the RTP timestamp winTS.
	winTS    uint32
	winBytes int
	winOn    bool
}

// historySize slots (a power of two, so a sequence number picks its slot)
// cover a second of video up to about 256 packets a second (2.5 Mbps).
const historySize = 256

// historyKeep is how much media the ring is sized for: 1 s at video's
// 90 kHz clock, with historySlack more for the wrap and bursts.
const (
	historyKeep     = 90000
	historySlack    = 1.25
	historyMinBytes = 8 << 10
	historyMaxBytes = 1 << 20
	// historyFirst is the ring's size until the first second is measured.
	historyFirst = 64 << 10
)

// historySlot is one packet's header (what a retransmission needs of it)
// and where its payload is.
type historySlot struct {
	at     uint64
	ts     uint32
	n      uint16
	seq    uint16
	pt     uint8
	marker bool
	valid  bool
}

// add copies pkt in, over the packet historySize before it. The ring is
// only remade when the layer's rate moves past it (once per historyKeep
// of media at most): no allocation per packet.
func (h *history) add(pkt *rtp.Packet) {
	n := len(pkt.Payload)
	h.mu.Lock()
	if h.slots == nil {
		h.slots = new([historySize]historySlot)
		h.ring = make([]byte, historyFirst)
		h.end, h.winOn = 0, false
	}
	s := &h.slots[pkt.SequenceNumber%historySize]
	if s.valid && newer(s.seq, pkt.SequenceNumber) {
		h.mu.Unlock()
		return // a late packet older than the one in its slot: keep the newer
	}
	h.measure(pkt.Timestamp, n)
	size := uint64(len(h.ring))
	if n > len(h.ring) || n > 0xffff {
		s.valid = false
		h.mu.Unlock()
		return
	}
	pos := h.end % size
	if pos+uint64(n) > size {
		// A payload never wraps: skip the ring's tail.
		h.end += size - pos
		pos = 0
	}
	copy(h.ring[pos:], pkt.Payload)
	*s = historySlot{at: h.end, ts: pkt.Timestamp, n: uint16(n), seq: pkt.SequenceNumber,
		pt: pkt.PayloadType, marker: pkt.Marker, valid: true}
	h.end += uint64(n)
	h.mu.Unlock()
}

// measure counts n bytes at RTP time ts and, once historyKeep of media
// has passed, sizes the ring for the rate seen.
func (h *history) measure(ts uint32, n int) {
	d := ts - h.winTS
	if !h.winOn || d >= 1<<31 {
		// The first packet, or time went back (a new stream): start over.
		h.winTS, h.winBytes, h.winOn = ts, n, true
		return
	}
	h.winBytes += n
	if d < historyKeep {
		return
	}
	want := int(float64(h.winBytes) * historyKeep / float64(d) * historySlack)
	want = min(max((want+4095)&^4095, historyMinBytes), historyMaxBytes)
	if want > len(h.ring) || want < len(h.ring)/2 {
		h.resize(want)
	}
	h.winTS, h.winBytes = ts, 0
}

// resize moves the ring to one of size bytes, keeping the packets that
// are still whole and fit.
func (h *history) resize(size int) {
	old, oldSize, newSize := h.ring, uint64(len(h.ring)), uint64(size)
	h.ring = make([]byte, size)
	for i := range h.slots {
		s := &h.slots[i]
		if !s.valid {
			continue
		}
		from, to := s.at%oldSize, s.at%newSize
		if h.end-s.at > oldSize || h.end-s.at > newSize || to+uint64(s.n) > newSize {
			s.valid = false // overwritten already, or no room for it
			continue
		}
		copy(h.ring[to:to+uint64(s.n)], old[from:from+uint64(s.n)])
	}
}

// reset forgets every packet and lets their memory go: the layer is
// suspended, nobody receives it to ask.
func (h *history) reset() {
	h.mu.Lock()
	h.slots, h.ring = nil, nil
	h.mu.Unlock()
}

// held is what the history holds, in bytes (tests).
func (h *history) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.slots == nil {
		return 0
	}
	return len(h.ring) + int(unsafe.Sizeof(*h.slots))
}

// get copies out the packet with sequence number seq, if still kept. A
// retransmission carries no CSRCs (an SFU's publishers send none).
func (h *history) get(seq uint16) (rtp.Header, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.slots == nil {
		return rtp.Header{}, nil, false
	}
	s := &h.slots[seq%historySize]
	if !s.valid || s.seq != seq || h.end-s.at > uint64(len(h.ring)) {
		return rtp.Header{}, nil, false
	}
	pos := s.at % uint64(len(h.ring))
	hdr := rtp.Header{Version: 2, Marker: s.marker, PayloadType: s.pt, SequenceNumber: s.seq, Timestamp: s.ts}
	return hdr, append([]byte(nil), h.ring[pos:pos+uint64(s.n)]...), true
}
