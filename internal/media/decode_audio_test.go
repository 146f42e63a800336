package media

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pion/rtp/codecs"
)

// TestDecodeAudioTone: the tone through the real Opus encoder and
// DecodeAudio comes out as 48 kHz mono at 440 Hz, and a short loss is
// concealed rather than shortening the audio.
func TestDecodeAudioTone(t *testing.T) {
	const n = 50 // one second
	byPacket := packetize(encodeTone(t, n), &codecs.OpusPayloader{}, 111, 48000, 960)
	// Lose two packets in the middle.
	pkts := slices.Concat(byPacket[:20]...)
	pkts = append(pkts, slices.Concat(byPacket[22:]...)...)
	pkts = append(pkts, pkts[len(pkts)-1]) // a duplicate is ignored

	var pcm []int16
	calls := 0
	err := DecodeAudio(context.Background(), &packetReader{pkts: pkts}, func(p []int16, rate, channels int) {
		calls++
		if rate != 48000 || channels != 1 {
			t.Fatalf("PCM at %d Hz × %d channels, want 48000 × 1", rate, channels)
		}
		pcm = append(pcm, p...)
	})
	if err != nil {
		t.Fatalf("DecodeAudio = %v, want nil at io.EOF", err)
	}
	if calls != n {
		t.Errorf("%d PCM chunks for %d packets with 2 lost, want %d (the lost ones concealed)", calls, n-2, n)
	}
	if len(pcm) != n*960 {
		t.Errorf("%d samples, want %d", len(pcm), n*960)
	}
	// Skip the encoder's start-up.
	if hz := dominantHz(pcm[4800:], 48000, 1); hz < ToneHz-20 || hz > ToneHz+20 {
		t.Errorf("dominant frequency %.1f Hz, want %d ±20", hz, ToneHz)
	}
	if level := rms(pcm[4800:]); level < 2000 {
		t.Errorf("RMS level %.0f: the tone is missing", level)
	}
}

// TestDecodersSkipBadPackets: a few unreadable packets are skipped; a reader
// that only fails ends the decoder with its error instead of spinning.
func TestDecodersSkipBadPackets(t *testing.T) {
	malformed := errors.New("RTP header size insufficient")
	byPacket := packetize(encodeTone(t, 5), &codecs.OpusPayloader{}, 111, 48000, 960)
	calls := 0
	r := &packetReader{pkts: slices.Concat(byPacket...), errs: []error{malformed, malformed, malformed}}
	if err := DecodeAudio(context.Background(), r, func([]int16, int, int) { calls++ }); err != nil || calls != 5 {
		t.Errorf("after 3 bad packets: DecodeAudio = %v with %d chunks, want nil with 5", err, calls)
	}

	broken := make([]error, maxBadPackets+1)
	for i := range broken {
		broken[i] = malformed
	}
	if err := DecodeAudio(context.Background(), &packetReader{errs: broken}, nil); !errors.Is(err, malformed) {
		t.Errorf("DecodeAudio on a failing reader = %v, want %v", err, malformed)
	}
	if err := DecodeVideo(context.Background(), &packetReader{errs: broken}, nil, nil); !errors.Is(err, malformed) {
		t.Errorf("DecodeVideo on a failing reader = %v, want %v", err, malformed)
	}
}
