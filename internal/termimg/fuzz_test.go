package termimg

import (
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rooms-dev/rooms/internal/safetext"
)

// FuzzRender checks that Render never panics and always keeps the block's
// shape, for any image size, type, origin and block size.
func FuzzRender(f *testing.F) {
	f.Add(uint16(320), uint16(240), uint8(80), uint8(24), uint8(0), uint8(0), int8(0), int8(0), uint64(1))
	f.Add(uint16(1), uint16(1), uint8(1), uint8(1), uint8(1), uint8(1), int8(0), int8(0), uint64(2))
	f.Add(uint16(999), uint16(3), uint8(7), uint8(50), uint8(2), uint8(2), int8(3), int8(5), uint64(3))
	f.Add(uint16(5), uint16(700), uint8(200), uint8(2), uint8(0), uint8(3), int8(-7), int8(1), uint64(4))
	f.Fuzz(func(t *testing.T, iw, ih uint16, cols, rows, prof, kind uint8, ox, oy int8, seed uint64) {
		w, h := int(iw%1200), int(ih%1200)
		rng := rand.New(rand.NewPCG(seed, seed>>1))
		r := image.Rect(int(ox), int(oy), int(ox)+w, int(oy)+h)
		var img image.Image
		switch kind % 5 {
		case 0:
			// Non-negative origin: the standard library's own YCbCr.At
			// indexes out of its planes for some negative ones.
			m := image.NewYCbCr(image.Rect(int(ox)&7, int(oy)&7, int(ox)&7+w, int(oy)&7+h), image.YCbCrSubsampleRatio(int(seed%6)))
			fillBytes(rng, m.Y)
			fillBytes(rng, m.Cb)
			fillBytes(rng, m.Cr)
			img = m
		case 1:
			m := image.NewRGBA(r)
			fillBytes(rng, m.Pix)
			img = m
		case 2:
			m := image.NewNRGBA(r)
			fillBytes(rng, m.Pix)
			img = m
		case 3:
			m := image.NewGray(r)
			fillBytes(rng, m.Pix)
			img = m
		case 4:
			m := image.NewYCbCr(image.Rect(0, 0, w+8, h+8), image.YCbCrSubsampleRatio420)
			fillBytes(rng, m.Y)
			fillBytes(rng, m.Cb)
			fillBytes(rng, m.Cr)
			img = m.SubImage(image.Rect(int(ox)&7, int(oy)&7, int(ox)&7+w, int(oy)&7+h))
		}
		c, rw := int(cols), int(rows%100)
		p := Profile(prof % 4) // 3 is out of range and must act like TrueColor
		bg := color.RGBA{uint8(seed), uint8(seed >> 8), uint8(seed >> 16), 255}
		out := Render(img, c, rw, p, bg)
		checkShape(t, out, c, rw)
		onlySGR(t, out)
		if p != ASCII && c > 0 && rw > 0 {
			pixels(t, Render(img, c, rw, TrueColor, bg))
		}
		checkWidths(t, Placeholder(c, rw, string(rune(seed%0x30000)), bg, bg, p), c, rw)
	})
}

func fillBytes(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = uint8(rng.Uint32())
	}
}

// FuzzPlaceholder draws a tile for any name: the block keeps its shape, and
// the only escape sequences in it are the colours Placeholder sets, so a
// hostile name (OSC 52, the 8-bit CSI, a right-to-left override, a line
// break) reaches the terminal as plain text or not at all.
func FuzzPlaceholder(f *testing.F) {
	f.Add("Ann", uint8(10), uint8(3), uint8(0))
	f.Add("\x1b]52;c;ZXZpbA==\x07Bo", uint8(20), uint8(2), uint8(1))
	f.Add("Bo\u009b2J\u202Egnp.exe", uint8(8), uint8(1), uint8(2))
	f.Add("👩\u200D💻 Ann\ncamera off", uint8(12), uint8(4), uint8(0))
	f.Fuzz(func(t *testing.T, text string, cols, rows, prof uint8) {
		c, r := int(cols%120), int(rows%40)
		p := Profile(prof % 4)
		out := Placeholder(c, r, text, color.RGBA{232, 234, 240, 255}, color.RGBA{20, 22, 28, 255}, p)
		checkWidths(t, out, c, r)
		onlySGR(t, out)
		if p == ASCII {
			for _, line := range out {
				if strings.Contains(line, "\x1b") {
					t.Fatalf("an escape in ASCII output: %q", line)
				}
			}
		}
	})
}

// onlySGR fails unless every escape sequence in lines is an SGR (ESC [
// digits and semicolons m) and the text between them is valid UTF-8 that
// safetext lets through on one line.
func onlySGR(t *testing.T, lines []string) {
	t.Helper()
	for i, line := range lines {
		if !utf8.ValidString(line) {
			t.Fatalf("line %d is not UTF-8: %q", i, line)
		}
		var text strings.Builder
		for j := 0; j < len(line); j++ {
			if line[j] != 0x1b {
				text.WriteByte(line[j])
				continue
			}
			k := j + 1
			if k >= len(line) || line[k] != '[' {
				t.Fatalf("line %d: an escape that is not CSI at %d: %q", i, j, line)
			}
			for k++; k < len(line) && (line[k] >= '0' && line[k] <= '9' || line[k] == ';'); k++ {
			}
			if k >= len(line) || line[k] != 'm' {
				t.Fatalf("line %d: a CSI that is not SGR at %d: %q", i, j, line)
			}
			j = k
		}
		if err := safetext.Check(text.String()); err != nil {
			t.Fatalf("line %d holds %v: %q", i, err, line)
		}
	}
}
