package media

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/wave"
	"github.com/pion/webrtc/v4"
)

// AudioOptions chooses the local audio.
type AudioOptions struct {
	Source     string // "testsrc" (a 440 Hz tone), "none", or the default microphone ("" or "mic")
	BitrateBps int    // default 32_000
	// TrackID and StreamID become the track's msid in SDP; defaults "audio" and "rooms".
	TrackID, StreamID string
}

// ToneHz is the frequency of the "testsrc" audio source.
const ToneHz = 440

// The tone is mono 48 kHz in 20 ms chunks: Opus' native rate and the usual
// WebRTC packet time, so the encoder neither resamples nor re-buffers.
const (
	toneRate      = 48000
	toneChunk     = toneRate / 50
	toneAmplitude = 0.25 * math.MaxInt16
)

// OpenAudio opens an audio source and its Opus encoder; Source "none" gives ErrNone.
func OpenAudio(ctx context.Context, o AudioOptions) (LocalTrack, error) {
	if o.Source == "none" {
		return nil, ErrNone
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.BitrateBps == 0 {
		o.BitrateBps = 32_000
	}
	if o.BitrateBps < 6_000 || o.BitrateBps > 510_000 {
		return nil, fmt.Errorf("audio bitrate %d bps: Opus takes 6000 to 510000", o.BitrateBps)
	}
	if o.TrackID == "" {
		o.TrackID = "audio"
	}
	if o.StreamID == "" {
		o.StreamID = "rooms"
	}
	p, err := opus.NewParams()
	if err != nil {
		return nil, err
	}
	p.BitRate = o.BitrateBps
	selector := mediadevices.NewCodecSelector(mediadevices.WithAudioEncoders(&p))
	var src interface {
		ID() string
		Close() error
		Read() (wave.Audio, func(), error)
	} = newToneSource()
	if o.Source != "testsrc" {
		mic, err := openMicrophone(o)
		if err != nil {
			return nil, err
		}
		src = mic
	}
	md := mediadevices.NewAudioTrack(src, selector)
	return newLocalTrack(md, webrtc.MimeTypeOpus, o.TrackID, o.StreamID), nil
}

// toneSource produces a continuous ToneHz sine in real time.
type toneSource struct {
	unpaced bool // for tests that encode faster than real time

	mu     sync.Mutex
	phase  float64
	next   time.Time
	closed chan struct{}
	once   sync.Once
}

func newToneSource() *toneSource { return &toneSource{closed: make(chan struct{})} }

func (s *toneSource) ID() string { return "tone" }

func (s *toneSource) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

func (s *toneSource) Read() (wave.Audio, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	const period = time.Second * toneChunk / toneRate
	if !s.unpaced {
		if err := pace(&s.next, period, s.closed); err != nil {
			return nil, func() {}, err
		}
	}
	a := wave.NewInt16Interleaved(wave.ChunkInfo{Channels: 1, Len: toneChunk, SamplingRate: toneRate})
	step := 2 * math.Pi * ToneHz / toneRate
	for i := range toneChunk {
		a.Data[i] = int16(toneAmplitude * math.Sin(s.phase))
		s.phase += step
	}
	// Keep the phase small so float error does not creep into a long call.
	s.phase = math.Mod(s.phase, 2*math.Pi)
	return a, func() {}, nil
}
