package media

import (
	"context"
	"testing"
)

func TestEncodeClip(t *testing.T) {
	clip, err := EncodeClip(context.Background(), 160, 120, 15, 2, DefaultLabel)
	if err != nil {
		t.Fatal(err)
	}
	if len(clip.Video) != 30 || len(clip.Audio) != 100 {
		t.Fatalf("clip of %d frames and %d audio packets, want 30 and 100", len(clip.Video), len(clip.Audio))
	}
	for _, i := range []int{0, 15} {
		if !isVP8Keyframe(clip.Video[i]) {
			t.Errorf("frame %d is not a keyframe: a new viewer would wait", i)
		}
	}
}
