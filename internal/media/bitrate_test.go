package media

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestSimulcastBitrates: a layer given 0 for bandwidth sends nothing at
// all (not even the 2 frames a second of a layer nobody receives), and
// when it gets a rate again its first frame is a keyframe, so a receiver
// switched to it decodes at once.
func TestSimulcastBitrates(t *testing.T) {
	video, err := OpenVideo(context.Background(), VideoOptions{Source: "testsrc", Simulcast: true, FPS: 15, KeyframeInterval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := video.Bitrates(), []int{80_000, 200_000, 500_000}; !slices.Equal(got, want) {
		t.Fatalf("Bitrates() = %v, want %v", got, want)
	}
	seen, _ := publishSimulcast(t, video)
	count := func() (n, keys map[string]int) {
		n, keys = map[string]int{}, map[string]int{}
		seen.snapshot(func(l map[string]*layerSeen) {
			for rid, s := range l {
				n[rid], keys[rid] = len(s.frames), s.keyframes
			}
		})
		return n, keys
	}
	waitFor(t, "frames on every layer", func() bool { n, _ := count(); return n["q"] > 0 && n["h"] > 0 && n["f"] > 0 })
	// rates counts frames per layer while q, alone, gets 30 more.
	rates := func() (frames, keys map[string]int) {
		start, startKeys := count()
		waitFor(t, "30 more frames on q", func() bool { n, _ := count(); return n["q"] >= start["q"]+30 })
		end, endKeys := count()
		frames, keys = map[string]int{}, map[string]int{}
		for _, rid := range []string{"q", "h", "f"} {
			frames[rid], keys[rid] = end[rid]-start[rid], endKeys[rid]-startKeys[rid]
		}
		return frames, keys
	}
	video.SetBitrates(map[string]int{"q": 60_000, "h": 0, "f": 0})
	rates() // the frames on their way
	off, _ := rates()
	if off["h"] != 0 || off["f"] != 0 {
		t.Errorf("h and f stopped for bandwidth still sent %d and %d frames while q got %d", off["h"], off["f"], off["q"])
	}
	video.SetBitrates(map[string]int{"q": 80_000, "h": 200_000, "f": 0})
	back, keys := rates()
	if back["h"] <= 8 || back["f"] != 0 {
		t.Errorf("h given its rate again got %d frames and f, still stopped, %d while q got %d", back["h"], back["f"], back["q"])
	}
	if keys["h"] == 0 {
		t.Errorf("h came back without a keyframe (%d frames)", back["h"])
	}
}
