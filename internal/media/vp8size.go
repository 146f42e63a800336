package media

// VP8KeyframeSize says whether a VP8 RTP payload starts a keyframe and,
// if so, the picture's size from its frame header (RFC 7741 §4.1
// payload descriptor, RFC 6386 §9.1 frame tag), without decoding. It
// reads a few bytes and allocates nothing.
func VP8KeyframeSize(payload []byte) (w, h int, ok bool) {
	if len(payload) < 1 {
		return 0, 0, false
	}
	d := payload[0]
	if d&0x10 == 0 || d&0x0f != 0 {
		return 0, 0, false // not the start of partition 0
	}
	i := 1
	if d&0x80 != 0 { // X: extensions follow
		if len(payload) < 2 {
			return 0, 0, false
		}
		x := payload[1]
		i = 2
		if x&0x80 != 0 { // I: picture id, 7 or 15 bits
			if len(payload) <= i {
				return 0, 0, false
			}
			if payload[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/KEYIDX
			i++
		}
	}
	f := payload[min(i, len(payload)):]
	if len(f) < 10 || f[0]&0x01 != 0 {
		return 0, 0, false // P bit set: an interframe
	}
	if f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a {
		return 0, 0, false
	}
	w = int(f[6]) | int(f[7]&0x3f)<<8
	h = int(f[8]) | int(f[9]&0x3f)<<8
	return w, h, w > 0 && h > 0
}
