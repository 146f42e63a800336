package sfu

// VP8 picture ids (and TL0PICIDX) in the payload descriptor (RFC 7741
// §4.2) number a stream's frames; a decoder uses them to tell a missing
// frame from a late one and to find a frame's references. Each simulcast
// layer numbers its own frames, so at a switch a subscriber's ids would
// jump: the binding rewrites them to run on from the last it sent, as it
// does sequence numbers and timestamps. The rewritten descriptor always
// carries a 15-bit picture id (a source's may be 7 bits while it counts
// below 128), so the payload is copied into the binding's own buffer.

// vp8IDs is where a VP8 descriptor keeps its ids: the picture id's offset
// and width (0: none), TL0PICIDX's offset (0: none), and where the
// descriptor ends.
type vp8IDs struct {
	pidAt, pidLen, tl0At, end int
}

// parseVP8IDs finds the ids in payload; false if it is too short or has
// no extension byte (nothing to rewrite).
func parseVP8IDs(payload []byte) (vp8IDs, bool) {
	var d vp8IDs
	if len(payload) < 2 || payload[0]&0x80 == 0 {
		return d, false
	}
	x := payload[1]
	i := 2
	if x&0x80 != 0 { // I
		if len(payload) <= i {
			return d, false
		}
		d.pidAt, d.pidLen = i, 1
		if payload[i]&0x80 != 0 {
			d.pidLen = 2
		}
		i += d.pidLen
	}
	if x&0x40 != 0 { // L
		d.tl0At = i
		i++
	}
	if x&0x30 != 0 { // T or K
		i++
	}
	if len(payload) < i {
		return d, false
	}
	d.end = i
	return d, true
}

// pid is the picture id, 7 or 15 bits, as a 15-bit number.
func (d vp8IDs) pid(p []byte) uint16 {
	if d.pidLen == 2 {
		return uint16(p[d.pidAt]&0x7f)<<8 | uint16(p[d.pidAt+1])
	}
	return uint16(p[d.pidAt] & 0x7f)
}

// rewriteVP8 writes payload to dst with its picture id plus pidOff (15
// bits) and its TL0PICIDX plus tl0Off, and returns the new payload (in
// dst, which must hold len(payload)+1) and the ids written.
func rewriteVP8(dst, payload []byte, d vp8IDs, pidOff uint16, tl0Off uint8) (out []byte, pid uint16, tl0 uint8) {
	n := copy(dst, payload[:2])
	if d.pidLen > 0 {
		pid = (d.pid(payload) + pidOff) & 0x7fff
		dst[n], dst[n+1] = 0x80|byte(pid>>8), byte(pid)
		n += 2
	}
	if d.tl0At > 0 {
		tl0 = payload[d.tl0At] + tl0Off
		dst[n] = tl0
		n++
	}
	// T/K byte and the frame itself, unchanged.
	rest := d.pidAt + d.pidLen
	if d.pidLen == 0 {
		rest = 2
	}
	if d.tl0At > 0 {
		rest++
	}
	n += copy(dst[n:], payload[rest:])
	return dst[:n], pid, tl0
}
