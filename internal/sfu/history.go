package sfu

import (
	"sync"

	"github.com/pion/rtp"
)

// history keeps a published video track's last packets to answer NACKs.
// One history serves every subscriber: a subscriber's sequence numbers map
// back to the publisher's (seqMap.in), and the SSRC and payload type are
// its own. (pion's NACK
// responder keeps a buffer per subscriber track: 49 copies of the same
// packets in a 50-person room.)
type history struct {
	mu sync.Mutex
	// slots are made on the first packet and let go on reset: a
	// simulcast layer nobody receives holds none.
	slots *[historySize]historySlot
}

// historySize packets is over a second of video at 15 fps, enough for a
// NACK's round trip; a power of two so a sequence number picks its slot.
const historySize = 128

type historySlot struct {
	seq   uint16
	valid bool
	hdr   rtp.Header
	buf   []byte
}

// add copies pkt in, over the packet historySize before it. After the
// first round the slots' buffers are reused: no allocation per packet.
func (h *history) add(pkt *rtp.Packet) {
	h.mu.Lock()
	if h.slots == nil {
		h.slots = new([historySize]historySlot)
	}
	s := &h.slots[pkt.SequenceNumber%historySize]
	if s.valid && newer(s.seq, pkt.SequenceNumber) {
		h.mu.Unlock()
		return // a late packet older than the one in its slot: keep the newer
	}
	s.seq, s.valid = pkt.SequenceNumber, true
	csrc := s.hdr.CSRC[:0]
	s.hdr = pkt.Header
	s.hdr.CSRC = append(csrc, pkt.CSRC...)
	s.hdr.Extensions = nil
	s.buf = append(s.buf[:0], pkt.Payload...)
	h.mu.Unlock()
}

// reset forgets every packet and lets their buffers go: the layer is
// suspended, nobody receives it to ask.
func (h *history) reset() {
	h.mu.Lock()
	h.slots = nil
	h.mu.Unlock()
}

// get copies out the packet with sequence number seq, if still kept.
func (h *history) get(seq uint16) (rtp.Header, []byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.slots == nil {
		return rtp.Header{}, nil, false
	}
	s := &h.slots[seq%historySize]
	if !s.valid || s.seq != seq {
		return rtp.Header{}, nil, false
	}
	hdr := s.hdr
	hdr.CSRC = append([]uint32(nil), s.hdr.CSRC...)
	return hdr, append([]byte(nil), s.buf...), true
}
