package sfu

// seqMap numbers the packets one subscriber receives of one track. They
// go out as the publisher's sequence numbers plus an offset, and the
// offset changes in two cases so the subscriber sees no hole it would
// report lost and wait for:
//   - a gap (collapse): nothing was sent for a while (the track paused for
//     this subscriber, or a voice held back): the next packet continues
//     from the last number sent;
//   - a skipped packet (skipOne): a padding-only probe the SFU does not
//     forward: only its own number is taken out.
//
// Each offset holds over a segment of the publisher's numbers, and the
// last few segments are kept, so a packet that arrives late (the
// publisher's retransmission of a packet lost on the way in) still gets
// the number its place calls for, and a subscriber's NACK maps back to the
// publisher's packet, across gaps. A late packet from a collapsed range
// has no number left and is dropped. Not safe for concurrent use: the
// binding's lock guards it.
type seqMap struct {
	started, gap    bool
	restart         bool   // the next packet starts a new numbering (restartAt)
	lastIn, lastOut uint16 // the newest publisher number sent, and its number out
	segs            [maxSegments]segment
	n               int // segments in use, oldest first
}

// segment: publisher numbers from start on go out as number + offset; a
// closed segment ends at end, the open (newest) one at lastIn.
type segment struct {
	start, end, offset uint16
	closed             bool
}

// maxSegments bounds how far back late packets and NACKs are mapped.
const maxSegments = 16

// newer says whether a comes after b in sequence-number order (RFC 3550
// arithmetic: within half the number space).
func newer(a, b uint16) bool { return a != b && a-b < 0x8000 }

// push opens a new segment, closing the current one at end.
func (m *seqMap) push(end uint16, s segment) {
	if m.n > 0 {
		m.segs[m.n-1].end, m.segs[m.n-1].closed = end, true
	}
	if m.n == maxSegments {
		copy(m.segs[:], m.segs[1:])
		m.n--
	}
	m.segs[m.n] = s
	m.n++
}

// collapse: what is not sent from now until the next packet leaves no hole.
func (m *seqMap) collapse() {
	if m.started {
		m.gap = true
	}
}

// restartAt: the next packet comes from another stream (a simulcast
// layer switch) whose numbers have nothing to do with the last ones; it
// continues from the last number sent, and nothing before it maps any
// more (a NACK for the old layer's packets goes unanswered).
func (m *seqMap) restartAt() {
	if m.started {
		m.restart, m.n = true, 0 // no NACK maps into the old layer's numbers
	}
}

// skipOne takes publisher number p, a packet not forwarded, out of the
// numbering.
func (m *seqMap) skipOne(p uint16) {
	if !m.started || m.gap || m.restart || !newer(p, m.lastIn) {
		return // a gap closes over it anyway; or it is too old to matter
	}
	off := m.segs[m.n-1].offset
	m.push(p-1, segment{start: p + 1, offset: off - 1})
}

// out is the number publisher packet p goes out with; false: drop it.
func (m *seqMap) out(p uint16) (uint16, bool) {
	if !m.started {
		m.started = true
		m.push(0, segment{start: p})
		m.lastIn, m.lastOut = p, p
		return p, true
	}
	if m.restart {
		m.restart, m.gap, m.n = false, false, 0
		o := m.lastOut + 1
		m.push(0, segment{start: p, offset: o - p})
		m.lastIn, m.lastOut = p, o
		return o, true
	}
	if m.gap && newer(p, m.lastIn) {
		m.gap = false
		m.push(m.lastIn, segment{start: p, offset: m.lastOut + 1 - p})
	}
	for i := m.n - 1; i >= 0; i-- {
		s := m.segs[i]
		if newer(s.start, p) {
			continue // p is before this segment
		}
		if s.closed && newer(p, s.end) {
			return 0, false // in a collapsed range: its number went to another
		}
		o := p + s.offset
		if newer(p, m.lastIn) {
			m.lastIn, m.lastOut = p, o
		}
		return o, true
	}
	return 0, false // older than every segment kept
}

// in maps a number the subscriber received (or lost) back to the
// publisher's; false if it is not one this map gave out.
func (m *seqMap) in(o uint16) (uint16, bool) {
	if !m.started {
		return 0, false
	}
	for i := m.n - 1; i >= 0; i-- {
		s := m.segs[i]
		end := m.lastIn
		if s.closed {
			end = s.end
		}
		if newer(s.start, end) {
			continue // an empty segment
		}
		first, last := s.start+s.offset, end+s.offset
		if !newer(first, o) && !newer(o, last) {
			return o - s.offset, true
		}
	}
	return 0, false
}
