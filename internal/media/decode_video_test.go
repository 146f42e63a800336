package media

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// testStream is 24 frames of the pattern with a keyframe forced at frame 16,
// as a PLI would; encoding runs in real time, so the tests share it.
var testStream struct {
	once   sync.Once
	frames [][]byte
}

func streamFrames(t *testing.T) [][]byte {
	testStream.once.Do(func() { testStream.frames = encodePatternFrames(t, VideoOptions{}, 24, 16) })
	if testStream.frames == nil {
		t.Fatal("encoding the shared test stream failed")
	}
	return testStream.frames
}

// decodeAll runs DecodeVideo over pkts and returns the counters it read back
// and how many keyframe requests it made.
func decodeAll(t *testing.T, pkts []*rtp.Packet) (counters []int, keyframes []bool, requests int) {
	t.Helper()
	err := DecodeVideo(context.Background(), &packetReader{pkts: pkts}, func(f Frame) {
		n, ok := ReadCounter(f.Image)
		if !ok {
			t.Errorf("frame %d: counter unreadable", len(counters))
		}
		if err := CheckPattern(f.Image, DefaultLabel); err != nil {
			t.Errorf("frame with counter %d: %v", n, err)
		}
		if f.Width != 320 || f.Height != 240 || f.At.IsZero() {
			t.Errorf("frame %d: %dx%d at %v", n, f.Width, f.Height, f.At)
		}
		counters = append(counters, int(n))
		keyframes = append(keyframes, f.Keyframe)
	}, func() { requests++ })
	if err != nil {
		t.Fatalf("DecodeVideo = %v, want nil at io.EOF", err)
	}
	return counters, keyframes, requests
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestDecodeVideoFromRTP: every frame of a clean stream comes out, in order,
// including the last one the sample builder would otherwise hold back.
func TestDecodeVideoFromRTP(t *testing.T) {
	t.Parallel()
	byFrame := packetize(streamFrames(t), &codecs.VP8Payloader{EnablePictureID: true}, 96, 90000, 90000/15)
	counters, keys, requests := decodeAll(t, slices.Concat(byFrame...))
	if want := seq(0, 24); !slices.Equal(counters, want) {
		t.Errorf("decoded counters %v, want %v", counters, want)
	}
	var keyAt []int
	for i, k := range keys {
		if k {
			keyAt = append(keyAt, i)
		}
	}
	if !slices.Equal(keyAt, []int{0, 16}) {
		t.Errorf("keyframes at %v, want [0 16]", keyAt)
	}
	if requests != 0 {
		t.Errorf("%d keyframe requests on a clean stream that starts with a keyframe", requests)
	}
}

// TestDecodeVideoWaitsForKeyframe: joining mid-stream shows nothing (rather
// than garbage) and asks for a keyframe, then starts at the keyframe.
func TestDecodeVideoWaitsForKeyframe(t *testing.T) {
	t.Parallel()
	byFrame := packetize(streamFrames(t), &codecs.VP8Payloader{}, 96, 90000, 90000/15)
	counters, keys, requests := decodeAll(t, slices.Concat(byFrame[5:]...))
	if want := seq(16, 24); !slices.Equal(counters, want) {
		t.Errorf("decoded counters %v, want %v", counters, want)
	}
	if len(keys) == 0 || !keys[0] {
		t.Errorf("first decoded frame is not flagged as a keyframe: %v", keys)
	}
	if requests < 1 {
		t.Error("no keyframe request while starting without one")
	}
}

// TestDecodeVideoRecoversFromLoss: a lost packet stops decoding (the next
// frames reference what was lost) until the keyframe that answers the request.
func TestDecodeVideoRecoversFromLoss(t *testing.T) {
	t.Parallel()
	byFrame := packetize(streamFrames(t), &codecs.VP8Payloader{}, 96, 90000, 90000/15)
	byFrame[8] = byFrame[8][1:] // the first packet of frame 8 never arrives
	counters, _, requests := decodeAll(t, slices.Concat(byFrame...))
	if want := append(seq(0, 8), seq(16, 24)...); !slices.Equal(counters, want) {
		t.Errorf("decoded counters %v, want %v", counters, want)
	}
	if requests < 1 {
		t.Error("no keyframe request after a loss")
	}
}

// TestDecodeVideoIgnoresPadding: padding-only packets between frames (as
// browsers send to probe bandwidth) are not mistaken for loss.
func TestDecodeVideoIgnoresPadding(t *testing.T) {
	t.Parallel()
	frames := streamFrames(t)[:10]
	pz := rtp.NewPacketizer(1200, 96, 0x1234, &codecs.VP8Payloader{}, rtp.NewFixedSequencer(100), 90000)
	var pkts []*rtp.Packet
	for i, f := range frames {
		pkts = append(pkts, pz.Packetize(f, 90000/15)...)
		if i%3 == 1 {
			pad := pz.GeneratePadding(2)
			pkts = append(pkts, pad...)
		}
	}
	counters, _, requests := decodeAll(t, pkts)
	if want := seq(0, 10); !slices.Equal(counters, want) {
		t.Errorf("decoded counters %v, want %v", counters, want)
	}
	if requests != 0 {
		t.Errorf("%d keyframe requests caused by padding", requests)
	}
}

// TestDecodeVideoBoundsFrameSize: a frame larger than the decoder's buffer is
// dropped with a keyframe request, not decoded half.
func TestDecodeVideoBoundsFrameSize(t *testing.T) {
	t.Parallel()
	frames := streamFrames(t)
	huge := append([]byte(nil), frames[0]...)
	huge = append(huge, make([]byte, maxVideoFrameBytes)...)
	byFrame := packetize([][]byte{huge, frames[1], frames[2], frames[3]}, &codecs.VP8Payloader{}, 96, 90000, 90000/15)
	counters, _, requests := decodeAll(t, slices.Concat(byFrame...))
	if len(counters) != 0 {
		t.Errorf("decoded %v after dropping the oversized keyframe", counters)
	}
	if requests < 1 {
		t.Error("no keyframe request after dropping an oversized frame")
	}
}

// TestDecodeVideoWhenHidden: while the tile is hidden nothing is decoded;
// shown again, it asks for a keyframe and starts there, never from a stale
// reference.
func TestDecodeVideoWhenHidden(t *testing.T) {
	t.Parallel()
	byFrame := packetize(streamFrames(t), &codecs.VP8Payloader{}, 96, 90000, 90000/15)
	pkts := slices.Concat(byFrame...)
	n := 0
	visible := func() bool { n++; return n <= 3 || n > 8 } // hidden for frames 3..7
	var counters []int
	requests := 0
	err := DecodeVideoWhen(context.Background(), &packetReader{pkts: pkts}, visible, func(f Frame) {
		c, _ := ReadCounter(f.Image)
		counters = append(counters, int(c))
	}, func() { requests++ })
	if err != nil {
		t.Fatal(err)
	}
	if want := append(seq(0, 3), seq(16, 24)...); !slices.Equal(counters, want) {
		t.Errorf("decoded %v, want the first three, then from the next keyframe: %v", counters, want)
	}
	if requests < 1 {
		t.Error("shown again without a keyframe request")
	}
}
