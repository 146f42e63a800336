package media

import (
	"image/color"
	"testing"
)

// TestPatternVP8RoundTrip: Pattern → mediadevices' VP8 encoder → libvpx
// decoder, no network: colours and counter must survive 250 kbps.
func TestPatternVP8RoundTrip(t *testing.T) {
	t.Parallel()
	label := color.RGBA{200, 40, 160, 255}
	frames := encodePatternFrames(t, VideoOptions{Label: label}, 30)
	if !isVP8Keyframe(frames[0]) {
		t.Fatalf("the first encoded frame is not a keyframe")
	}
	dec, err := newVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.close()
	for i, f := range frames {
		if i > 0 && isVP8Keyframe(f) {
			t.Errorf("frame %d is an unrequested keyframe", i)
		}
		img, err := dec.decode(f)
		if err != nil {
			t.Fatalf("decoding frame %d (%d bytes): %v", i, len(f), err)
		}
		if img == nil {
			t.Fatalf("frame %d decoded to no picture", i)
		}
		if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
			t.Fatalf("frame %d is %dx%d, want 320x240", i, b.Dx(), b.Dy())
		}
		if err := CheckPattern(img, label); err != nil {
			t.Errorf("frame %d: %v", i, err)
		}
		n, ok := ReadCounter(img)
		if !ok || absDiff(int(n), i) > 2 {
			t.Errorf("frame %d: ReadCounter = %d, %v", i, n, ok)
		}
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}
