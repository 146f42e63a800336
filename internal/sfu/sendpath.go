package sfu

import (
	"net"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/udpbatch"
)

// sendPath is how the SFU's datagrams leave the media socket; it is a
// variable so a measurement can build the others (go build -ldflags
// "-X github.com/rooms-dev/rooms/internal/sfu.sendPath=plain"), see
// docs/performance.md:
//   - "frames": a fan-out's datagrams leave in one sendmmsg (udpbatch),
//     and a video layer's packets of one frame are held until its last
//     (the marker bit) and then written subscriber after subscriber, so
//     each subscriber's packets of the frame leave as one UDP GSO message;
//   - "batch": a fan-out's datagrams leave in one sendmmsg, packet by
//     packet as they come;
//   - "plain": one sendto a datagram, through pion's UDP mux as it is.
var sendPath = "frames"

// wrapMedia is the media socket as pion's UDP mux gets it, and the
// batcher of its sends (nil: none).
func wrapMedia(conn *net.UDPConn) (net.PacketConn, *udpbatch.Conn) {
	if sendPath == "plain" {
		return conn, nil
	}
	b := udpbatch.New(conn)
	return b, b
}

// SendStats are the system calls that sent media datagrams and what they
// carried (zero with no batcher, or outside Linux).
func (s *SFU) SendStats() udpbatch.Stats { return s.batch.Stats() }

// maxDatagram is the room a held packet's payload gets.
const maxDatagram = udpbatch.MaxDatagram

// maxHeld is the most packets of one frame held; a larger frame goes
// out in parts.
const maxHeld = 16

// heldFrame is a video layer's packets of the frame coming in, copied, as
// its reader holds them until the frame's last (reused: nothing is
// allocated once each slot has been used).
type heldFrame struct {
	pkts [maxHeld]rtp.Packet
	keys [maxHeld]bool
	n    int
}

// send writes pkt, read from layer li (key: it starts a keyframe), to
// the subscribers: at once, or held with the rest of its frame.
func (f *forwarder) send(li int8, l *layer, pkt *rtp.Packet, key bool) {
	if sendPath != "frames" || f.kind != webrtc.RTPCodecTypeVideo || len(pkt.CSRC) > 0 {
		f.flushHeld(li, l)
		f.write(li, pkt, key)
		return
	}
	h := l.held
	if h == nil {
		h = &heldFrame{}
		l.held = h
	}
	if h.n > 0 && (h.pkts[0].Timestamp != pkt.Timestamp || h.n == maxHeld) {
		// Another frame (its last packet lost, or a late one), or too
		// many: what is held goes first.
		f.flushHeld(li, l)
	}
	if pkt.Marker && h.n == 0 {
		f.write(li, pkt, key) // a frame of one packet
		return
	}
	p := &h.pkts[h.n]
	payload, exts := p.Payload[:0], p.Extensions[:0]
	if cap(payload) < maxDatagram {
		payload = make([]byte, 0, maxDatagram)
	}
	if exts == nil {
		exts = make([]rtp.Extension, 0, 4)
	}
	p.Header = pkt.Header
	// Its own header extensions' array: subscribers' interceptors add
	// theirs to each binding's copy of this header.
	p.Extensions = exts
	p.Payload = append(payload, pkt.Payload...)
	h.keys[h.n] = key
	h.n++
	if pkt.Marker {
		f.flushHeld(li, l)
	}
}

// write sends one packet to every subscriber of its layer.
func (f *forwarder) write(li int8, pkt *rtp.Packet, key bool) {
	s := f.pub.router.sfu
	s.batch.Begin()
	n := f.local.WriteRTP(li, pkt, key)
	s.batch.End()
	s.forwarded.Add(uint64(n))
}

// flushHeld sends what layer li holds of a frame, subscriber after
// subscriber: each subscriber's packets leave together.
func (f *forwarder) flushHeld(li int8, l *layer) {
	h := l.held
	if h == nil || h.n == 0 {
		return
	}
	s := f.pub.router.sfu
	s.batch.Begin()
	n := f.local.writeFrame(li, h.pkts[:h.n], h.keys[:h.n])
	s.batch.End()
	s.forwarded.Add(uint64(n))
	h.n = 0
}

// writeFrame is WriteRTP for a frame's packets, binding by binding; it
// returns how many packets went out in all.
func (f *fanout) writeFrame(li int8, pkts []rtp.Packet, keys []bool) int {
	n := 0
	for _, b := range *f.binds.Load() {
		b.mu.Lock()
		for i := range pkts {
			if f.writeLocked(b, li, &pkts[i], keys[i]) {
				n++
			}
		}
		b.mu.Unlock()
	}
	return n
}
