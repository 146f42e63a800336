package media

import (
	"image"
	"math"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/wave"
)

func TestGateVideo(t *testing.T) {
	g := newGate()
	frame := uint32(0)
	r := g.video(video.ReaderFunc(func() (image.Image, func(), error) {
		frame++
		return Pattern(64, 48, frame, DefaultLabel), func() {}, nil
	}))
	img, _, _ := r.Read()
	if err := CheckPattern(img, DefaultLabel); err != nil {
		t.Fatalf("on, the pattern should pass through: %v", err)
	}
	g.SetEnabled(false)
	img, _, _ = r.Read()
	y, ok := img.(*image.YCbCr)
	if !ok || img.Bounds() != image.Rect(0, 0, 64, 48) {
		t.Fatalf("off: got %T %v, want a black frame of the same size", img, img.Bounds())
	}
	for _, v := range y.Y {
		if v != 0 {
			t.Fatal("off: the frame is not black")
		}
	}
	if err := CheckPattern(g.Preview(), DefaultLabel); err != nil {
		t.Fatalf("the self-view shows the camera even while off: %v", err)
	}
	g.SetEnabled(true)
	if img, _, _ = r.Read(); CheckPattern(img, DefaultLabel) != nil {
		t.Fatal("back on, the pattern should pass through again")
	}
}

func TestGateAudio(t *testing.T) {
	g := newGate()
	amp := 0.5 // -6 dBov RMS of a sine is about -9 dB
	r := g.audio(audio.ReaderFunc(func() (wave.Audio, func(), error) {
		a := wave.NewInt16Interleaved(wave.ChunkInfo{Channels: 1, Len: 960, SamplingRate: 48000})
		for i := range a.Data {
			a.Data[i] = int16(amp * 32767 * math.Sin(2*math.Pi*440*float64(i)/48000))
		}
		return a, func() {}, nil
	}))
	if _, _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if l := g.Level(); l < 8 || l > 10 {
		t.Fatalf("level of a half-scale sine = %d -dBov, want about 9", l)
	}
	g.SetEnabled(false)
	a, _, _ := r.Read()
	for i := 0; i < a.ChunkInfo().Len; i++ {
		if a.At(i, 0).Int() != 0 {
			t.Fatal("off: the audio is not silent")
		}
	}
	if g.Level() != 127 {
		t.Fatalf("off: level %d, want 127", g.Level())
	}
}

func TestPreviewFillsTheGate(t *testing.T) {
	ctx := t.Context()
	v, err := OpenVideo(ctx, VideoOptions{Source: "testsrc"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	a, err := OpenAudio(ctx, AudioOptions{Source: "testsrc"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	stopV, stopA := StartPreview(v), StartPreview(a)
	deadline := time.Now().Add(10 * time.Second)
	for (v.Gate().Preview() == nil || a.Gate().Level() == 127) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stopV()
	stopA()
	if err := CheckPattern(v.Gate().Preview(), DefaultLabel); err != nil {
		t.Fatalf("no preview of the test pattern: %v", err)
	}
	if l := a.Gate().Level(); l > 40 {
		t.Fatalf("the test tone's level is %d -dBov, want a loud one", l)
	}
}
