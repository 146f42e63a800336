package media

import "testing"

func TestVP8KeyframeSize(t *testing.T) {
	key := []byte{0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}          // start code, 640x480
	frameTag := func(p byte) []byte { return []byte{p, 0x00, 0x00} } // P bit is bit 0
	tests := []struct {
		name    string
		payload []byte
		w, h    int
		ok      bool
	}{
		{"a keyframe without extensions", append(append([]byte{0x10}, frameTag(0)...), key...), 640, 480, true},
		{"a keyframe with a 15-bit picture id", append(append([]byte{0x90, 0x80, 0x81, 0x02}, frameTag(0)...), key...), 640, 480, true},
		{"an interframe", append(append([]byte{0x10}, frameTag(1)...), key...), 0, 0, false},
		{"not the start of a frame", append(append([]byte{0x00}, frameTag(0)...), key...), 0, 0, false},
		{"cut short", []byte{0x10, 0x00}, 0, 0, false},
		{"empty", nil, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, h, ok := VP8KeyframeSize(tc.payload)
			if w != tc.w || h != tc.h || ok != tc.ok {
				t.Errorf("VP8KeyframeSize = %d %d %v, want %d %d %v", w, h, ok, tc.w, tc.h, tc.ok)
			}
		})
	}
}
