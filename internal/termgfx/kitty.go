package termgfx

import (
	"encoding/base64"
	"strconv"
)

// kittyChunk is the most base64 a kitty graphics command may carry; longer
// payloads go in chunks (m=1 on all but the last).
const kittyChunk = 4096

// AppendKittyImage appends the commands that show an RGB picture (w×h,
// 3 bytes a pixel) as image id in the cols×rows cells whose top-left is
// the cell (col, row) (0-based): the terminal scales it to those cells.
// The cursor is saved and restored around it, so a renderer that tracks
// the cursor is not disturbed. Sending the same id again replaces the
// picture in place; responses are suppressed (q=2) so nothing arrives on
// the program's input.
func AppendKittyImage(b []byte, id uint32, col, row, cols, rows int, rgb []byte, w, h, z int) []byte {
	return appendKittyImage(b, id, col, row, cols, rows, rgb, w, h, z, false)
}

// appendKittyImage is AppendKittyImage for pixels deflated with zlib
// (o=z) when compressed.
func appendKittyImage(b []byte, id uint32, col, row, cols, rows int, rgb []byte, w, h, z int, compressed bool) []byte {
	b = append(b, "\x1b7"...)
	b = appendCUP(b, col, row)
	enc := base64.StdEncoding
	n := enc.EncodedLen(len(rgb))
	payload := make([]byte, n) //nolint:makezero
	enc.Encode(payload, rgb)
	first := true
	for off := 0; off < n || first; {
		end := min(off+kittyChunk, n)
		b = append(b, "\x1b_G"...)
		if first {
			b = append(b, "a=T,f=24,q=2,C=1,s="...)
			b = strconv.AppendInt(b, int64(w), 10)
			b = append(b, ",v="...)
			b = strconv.AppendInt(b, int64(h), 10)
			b = append(b, ",i="...)
			b = strconv.AppendUint(b, uint64(id), 10)
			b = append(b, ",p=1,c="...)
			b = strconv.AppendInt(b, int64(cols), 10)
			b = append(b, ",r="...)
			b = strconv.AppendInt(b, int64(rows), 10)
			if compressed {
				b = append(b, ",o=z"...)
			}
			if z != 0 {
				b = append(b, ",z="...)
				b = strconv.AppendInt(b, int64(z), 10)
			}
			b = append(b, ',')
			first = false
		}
		if end < n {
			b = append(b, "m=1;"...)
		} else {
			b = append(b, "m=0;"...)
		}
		b = append(b, payload[off:end]...)
		b = append(b, "\x1b\\"...)
		off = end
		if off >= n {
			break
		}
	}
	return append(b, "\x1b8"...)
}

// AppendKittyDelete appends the command that deletes image id and frees
// its data.
func AppendKittyDelete(b []byte, id uint32) []byte {
	b = append(b, "\x1b_Ga=d,d=I,q=2,i="...)
	b = strconv.AppendUint(b, uint64(id), 10)
	return append(b, "\x1b\\"...)
}

// AppendKittyHide appends the command that removes image id's placements
// but keeps its data.
func AppendKittyHide(b []byte, id uint32) []byte {
	b = append(b, "\x1b_Ga=d,d=i,q=2,i="...)
	b = strconv.AppendUint(b, uint64(id), 10)
	return append(b, "\x1b\\"...)
}

// appendCUP moves the cursor to the 0-based cell (col, row).
func appendCUP(b []byte, col, row int) []byte {
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(row+1), 10)
	b = append(b, ';')
	b = strconv.AppendInt(b, int64(col+1), 10)
	return append(b, 'H')
}
