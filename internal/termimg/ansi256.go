package termimg

// cubeLevels are the channel values of the xterm 6×6×6 colour cube (16–231).
var cubeLevels = [6]int32{0, 95, 135, 175, 215, 255}

// cubeIndex is the nearest cube level for every channel value.
var cubeIndex = func() (t [256]uint8) {
	for v := range t {
		best := 0
		for i, l := range cubeLevels {
			if abs32(int32(v)-l) < abs32(int32(v)-cubeLevels[best]) {
				best = i
			}
		}
		t[v] = uint8(best)
	}
	return t
}()

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// ansi256 returns the xterm colour index (16–255) nearest to r, g, b: the
// closer, by squared distance, of the nearest cube colour and the nearest grey
// of the ramp 232–255. The first 16 colours are left out: terminals redefine them.
func ansi256(r, g, b uint8) uint8 {
	ri, gi, bi := cubeIndex[r], cubeIndex[g], cubeIndex[b]
	cr, cg, cb := cubeLevels[ri], cubeLevels[gi], cubeLevels[bi]
	R, G, B := int32(r), int32(g), int32(b)
	dc := sq(R-cr) + sq(G-cg) + sq(B-cb)

	// Grey ramp entry i is 8+10i; take the one nearest the channel mean.
	mean := (R + G + B) / 3
	gi2 := min(max((mean-3)/10, 0), 23)
	grey := 8 + 10*gi2
	dg := sq(R-grey) + sq(G-grey) + sq(B-grey)
	if dg < dc {
		return uint8(232 + gi2)
	}
	return uint8(16 + 36*int32(ri) + 6*int32(gi) + int32(bi))
}

func sq(v int32) int32 { return v * v }

// toANSI256 replaces every packed 0xRRGGBB pixel by its xterm index. Video
// frames have long runs of one colour, so the last answer is kept.
func toANSI256(pix []uint32) {
	last, lastIdx := noColour, uint32(0)
	for i, v := range pix {
		if v != last {
			last = v
			lastIdx = uint32(ansi256(uint8(v>>16), uint8(v>>8), uint8(v)))
		}
		pix[i] = lastIdx
	}
}
