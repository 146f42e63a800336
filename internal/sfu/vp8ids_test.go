package sfu

import (
	"bytes"
	"testing"
)

func TestRewriteVP8(t *testing.T) {
	frame := []byte{0x9d, 0x01, 0x2a, 7, 7}
	tests := []struct {
		name    string
		in      []byte
		pidOff  uint16
		tl0Off  uint8
		want    []byte
		pid     uint16
		tl0     uint8
		rewrite bool
	}{
		{"no extension byte", append([]byte{0x10}, frame...), 5, 1, nil, 0, 0, false},
		{"7-bit id becomes 15-bit", append([]byte{0x90, 0x80, 0x05}, frame...), 0x100, 0,
			append([]byte{0x90, 0x80, 0x81, 0x05}, frame...), 0x105, 0, true},
		{"15-bit id wraps", append([]byte{0x90, 0x80, 0xff, 0xff}, frame...), 2, 0,
			append([]byte{0x90, 0x80, 0x80, 0x01}, frame...), 1, 0, true},
		{"id, TL0PICIDX and TID", append([]byte{0x90, 0xe0, 0x80, 0x10, 0xfe, 0x40}, frame...), 1, 3,
			append([]byte{0x90, 0xe0, 0x80, 0x11, 0x01, 0x40}, frame...), 0x11, 1, true},
		{"TL0PICIDX only", append([]byte{0x90, 0x40, 0x09}, frame...), 9, 1,
			append([]byte{0x90, 0x40, 0x0a}, frame...), 0, 10, true},
		{"cut short", []byte{0x90, 0x80}, 1, 1, nil, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := parseVP8IDs(tc.in)
			if !ok || (d.pidLen == 0 && d.tl0At == 0) {
				if tc.rewrite {
					t.Fatalf("parseVP8IDs(% x) found nothing to rewrite", tc.in)
				}
				return
			}
			if !tc.rewrite {
				t.Fatalf("parseVP8IDs(% x) = %+v, want nothing to rewrite", tc.in, d)
			}
			dst := make([]byte, len(tc.in)+1)
			out, pid, tl0 := rewriteVP8(dst, tc.in, d, tc.pidOff, tc.tl0Off)
			if !bytes.Equal(out, tc.want) || pid != tc.pid || tl0 != tc.tl0 {
				t.Errorf("rewriteVP8 = % x (id %d, tl0 %d), want % x (id %d, tl0 %d)", out, pid, tl0, tc.want, tc.pid, tc.tl0)
			}
		})
	}
}
