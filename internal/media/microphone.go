package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	"github.com/gen2brain/malgo"
	"github.com/pion/mediadevices/pkg/wave"
)

// The microphone is captured with miniaudio (malgo) directly, not through
// mediadevices' microphone driver: that driver enumerates devices in an
// init function for every program that links it (rooms list included),
// panics when miniaudio cannot start, and capturing from ALSA's "null"
// device, which it registers on machines without a sound card, panics too.
// Opening the default capture device ourselves fails cleanly instead.

// micBackends chooses miniaudio's backends; tests use the null one.
var micBackends []malgo.Backend

// micSource delivers 20 ms chunks of 48 kHz mono from the default capture
// device.
type micSource struct {
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	chunks chan []int16
	closed chan struct{}
	once   sync.Once
}

func openMicrophone(o AudioOptions) (*micSource, error) {
	if o.Source != "" && o.Source != "mic" {
		return nil, fmt.Errorf("no microphone found (%q: only the default microphone, \"mic\", can be chosen); --audio testsrc plays a test tone", o.Source)
	}
	m := &micSource{chunks: make(chan []int16, 25), closed: make(chan struct{})}
	var err error
	quiet(func() {
		m.ctx, err = malgo.InitContext(micBackends, malgo.ContextConfig{}, nil)
		if err != nil {
			return
		}
		cfg := malgo.DefaultDeviceConfig(malgo.Capture)
		cfg.Capture.Format = malgo.FormatS16
		cfg.Capture.Channels = 1
		cfg.SampleRate = toneRate
		var pending []int16
		m.dev, err = malgo.InitDevice(m.ctx.Context, cfg, malgo.DeviceCallbacks{
			Data: func(_, in []byte, frames uint32) {
				for i := 0; i+1 < len(in) && i/2 < int(frames); i += 2 {
					pending = append(pending, int16(binary.LittleEndian.Uint16(in[i:])))
				}
				for len(pending) >= toneChunk {
					chunk := make([]int16, toneChunk)
					copy(chunk, pending)
					pending = append(pending[:0], pending[toneChunk:]...)
					select {
					case m.chunks <- chunk:
					default: // the encoder is behind: drop, never block the device
					}
				}
			},
		})
		if err == nil {
			err = m.dev.Start()
		}
	})
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("no microphone found (%v); --audio testsrc plays a test tone", err)
	}
	return m, nil
}

func (m *micSource) ID() string { return "mic" }

// Read waits for the next 20 ms of sound.
func (m *micSource) Read() (wave.Audio, func(), error) {
	select {
	case chunk := <-m.chunks:
		a := wave.NewInt16Interleaved(wave.ChunkInfo{Channels: 1, Len: len(chunk), SamplingRate: toneRate})
		copy(a.Data, chunk)
		return a, func() {}, nil
	case <-m.closed:
		return nil, func() {}, io.EOF
	}
}

// Close stops capturing.
func (m *micSource) Close() error {
	m.once.Do(func() {
		close(m.closed)
		if m.dev != nil {
			_ = m.dev.Stop()
			m.dev.Uninit()
		}
		if m.ctx != nil {
			_ = m.ctx.Uninit()
			m.ctx.Free()
		}
	})
	return nil
}
