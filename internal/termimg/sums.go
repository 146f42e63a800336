package termimg

import "encoding/binary"

// Column sums are the hot loop of scaling: every source byte is read once.
// For each run of eight columns, sumColumns adds the span's rows in
// registers, eight bytes at a time (SWAR): one uint64 holds the even bytes in
// four 16-bit lanes and another the odd ones. A lane holds 257 × 255 at most,
// so spans whose weights total more than maxWeight take the plain loop.
const (
	laneMask  = 0x00ff00ff00ff00ff
	maxWeight = 257
)

// rowRef is one source row of a span: where it starts in its plane and how
// many times it counts.
type rowRef struct{ off, w int }

// sumColumns sets sum[x] to the weighted sum of plane[r.off+x] over rows, for
// every x < len(sum).
func sumColumns(sum []uint32, plane []byte, rows []rowRef) {
	width := len(sum)
	total, unit := 0, true
	for _, r := range rows {
		total += r.w
		unit = unit && r.w == 1
	}
	if total > maxWeight {
		clear(sum)
		for _, r := range rows {
			addRowWeighted(sum, plane[r.off:r.off+width], uint32(r.w))
		}
		return
	}
	// Four groups (32 columns) at a time keeps eight independent sums in
	// registers; that alone is about a third faster than one group.
	var g int
	if unit {
		g = sumGroups(sum, plane, rows)
	} else {
		g = sumGroupsWeighted(sum, plane, rows)
	}
	for ; g+8 <= width; g += 8 {
		var e, o uint64
		for _, r := range rows {
			v := binary.LittleEndian.Uint64(plane[r.off+g : r.off+g+8])
			w := uint64(r.w)
			e += (v & laneMask) * w
			o += (v >> 8 & laneMask) * w
		}
		unpackLanes(sum[g:g+8], e, o)
	}
	if g < width {
		tail := sum[g:]
		clear(tail)
		for _, r := range rows {
			addRowWeighted(tail, plane[r.off+g:r.off+width], uint32(r.w))
		}
	}
}

// sumGroups does sumColumns's work 32 columns at a time for rows of weight 1,
// and returns how many columns it did.
func sumGroups(sum []uint32, plane []byte, rows []rowRef) int {
	g := 0
	for ; g+32 <= len(sum); g += 32 {
		var e0, o0, e1, o1, e2, o2, e3, o3 uint64
		for _, r := range rows {
			p := plane[r.off+g : r.off+g+32]
			v0 := binary.LittleEndian.Uint64(p)
			v1 := binary.LittleEndian.Uint64(p[8:])
			v2 := binary.LittleEndian.Uint64(p[16:])
			v3 := binary.LittleEndian.Uint64(p[24:])
			e0 += v0 & laneMask
			o0 += v0 >> 8 & laneMask
			e1 += v1 & laneMask
			o1 += v1 >> 8 & laneMask
			e2 += v2 & laneMask
			o2 += v2 >> 8 & laneMask
			e3 += v3 & laneMask
			o3 += v3 >> 8 & laneMask
		}
		s := sum[g : g+32]
		unpackLanes(s[0:8], e0, o0)
		unpackLanes(s[8:16], e1, o1)
		unpackLanes(s[16:24], e2, o2)
		unpackLanes(s[24:32], e3, o3)
	}
	return g
}

// sumGroupsWeighted is sumGroups for rows of any weight.
func sumGroupsWeighted(sum []uint32, plane []byte, rows []rowRef) int {
	g := 0
	for ; g+32 <= len(sum); g += 32 {
		var e0, o0, e1, o1, e2, o2, e3, o3 uint64
		for _, r := range rows {
			p := plane[r.off+g : r.off+g+32]
			v0 := binary.LittleEndian.Uint64(p)
			v1 := binary.LittleEndian.Uint64(p[8:])
			v2 := binary.LittleEndian.Uint64(p[16:])
			v3 := binary.LittleEndian.Uint64(p[24:])
			w := uint64(r.w)
			e0 += (v0 & laneMask) * w
			o0 += (v0 >> 8 & laneMask) * w
			e1 += (v1 & laneMask) * w
			o1 += (v1 >> 8 & laneMask) * w
			e2 += (v2 & laneMask) * w
			o2 += (v2 >> 8 & laneMask) * w
			e3 += (v3 & laneMask) * w
			o3 += (v3 >> 8 & laneMask) * w
		}
		s := sum[g : g+32]
		unpackLanes(s[0:8], e0, o0)
		unpackLanes(s[8:16], e1, o1)
		unpackLanes(s[16:24], e2, o2)
		unpackLanes(s[24:32], e3, o3)
	}
	return g
}

// unpackLanes spreads the even-byte and odd-byte lane sums over eight columns.
func unpackLanes(s []uint32, e, o uint64) {
	s = s[:8]
	s[0] = uint32(e & 0xffff)
	s[1] = uint32(o & 0xffff)
	s[2] = uint32(e >> 16 & 0xffff)
	s[3] = uint32(o >> 16 & 0xffff)
	s[4] = uint32(e >> 32 & 0xffff)
	s[5] = uint32(o >> 32 & 0xffff)
	s[6] = uint32(e >> 48)
	s[7] = uint32(o >> 48)
}

// addRowWeighted adds w times a row of samples to per-column sums.
func addRowWeighted(sum []uint32, row []uint8, w uint32) {
	sum = sum[:len(row)]
	for i, v := range row {
		sum[i] += uint32(v) * w
	}
}
