package media

import (
	"context"
	"testing"
)

func TestEncodeClip(t *testing.T) {
	clip, err := EncodeClip(context.Background(), 320, 240, 15, 2, DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	if len(clip.Video) != 30 || len(clip.Audio) != 100 {
		t.Fatalf("clip of %d frames and %d audio packets, want 30 and 100", len(clip.Video), len(clip.Audio))
	}
	// It holds what it is asked for (150 kbps), within the splicing's
	// reach; the flat pattern held about 41.
	if k := clip.Kbps(); k < 150*0.85 || k > 150*1.15 {
		t.Errorf("clip holds %.1f kbps, want 150 ±15%%", k)
	}
	for _, i := range []int{0, 15} {
		if !isVP8Keyframe(clip.Video[i]) {
			t.Errorf("frame %d is not a keyframe: a new viewer would wait", i)
		}
	}
}
