package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gen2brain/malgo"
)

// Sound out is 48 kHz stereo, the rate Opus decodes at: no resampling.
const (
	playRate     = 48000
	playChannels = 2
)

// backendNull is miniaudio's null backend, which plays in real time into
// nothing. malgo v0.11.24's BackendNull constant is one off (13 is
// miniaudio's "custom" backend).
const backendNull = malgo.Backend(14)

// PlayerOptions choose where sound goes.
type PlayerOptions struct {
	// Null plays into nothing in real time: tests, and machines without
	// sound that still want the pipeline to run.
	Null bool
}

// Player mixes every participant's decoded audio and plays it.
type Player struct {
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	mix    *mixer
	played atomic.Uint64 // frames handed to the device
	once   sync.Once
}

// ErrNoSoundOutput means the machine has no sound output device.
var ErrNoSoundOutput = errors.New("no sound output device")

// OpenPlayer opens the default sound output.
func OpenPlayer(o PlayerOptions) (*Player, error) {
	var backends []malgo.Backend
	if o.Null {
		backends = []malgo.Backend{backendNull}
	}
	p := &Player{mix: newMixer(playRate*60/1000, playRate*200/1000)} // start at 60 ms, keep at most 200 ms
	var err error
	// ALSA reports a missing card with a page of messages on stderr, which
	// would scribble over a terminal UI: silence fd 2 while opening.
	quiet(func() {
		p.ctx, err = malgo.InitContext(backends, malgo.ContextConfig{}, nil)
		if err != nil {
			return
		}
		cfg := malgo.DefaultDeviceConfig(malgo.Playback)
		cfg.Playback.Format = malgo.FormatS16
		cfg.Playback.Channels = playChannels
		cfg.SampleRate = playRate
		buf := make([]int16, 0, 4096)
		p.dev, err = malgo.InitDevice(p.ctx.Context, cfg, malgo.DeviceCallbacks{
			Data: func(out, _ []byte, frames uint32) {
				n := int(frames) * playChannels
				if cap(buf) < n {
					buf = make([]int16, n)
				}
				buf = buf[:n]
				p.mix.mix(buf)
				for i, s := range buf {
					binary.LittleEndian.PutUint16(out[2*i:], uint16(s))
				}
				p.played.Add(uint64(frames))
			},
		})
		if err == nil {
			err = p.dev.Start()
		}
	})
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("%w (%v)", ErrNoSoundOutput, err)
	}
	return p, nil
}

// Write queues decoded audio from one participant.
func (p *Player) Write(participantID string, pcm []int16, sampleRate, channels int) {
	if sampleRate != playRate || (channels != 1 && channels != 2) {
		return // the decoder always gives 48 kHz; anything else is a bug upstream
	}
	p.mix.write(participantID, pcm, channels)
}

// Remove forgets a participant's audio.
func (p *Player) Remove(participantID string) { p.mix.remove(participantID) }

// Played is how many frames the device has taken so far.
func (p *Player) Played() uint64 { return p.played.Load() }

// Close stops the sound.
func (p *Player) Close() {
	p.once.Do(func() {
		if p.dev != nil {
			_ = p.dev.Stop()
			p.dev.Uninit()
		}
		if p.ctx != nil {
			_ = p.ctx.Uninit()
			p.ctx.Free()
		}
	})
}

// quiet runs fn with stderr pointed at /dev/null.
func quiet(fn func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer null.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		fn()
		return
	}
	_ = syscall.Dup2(int(null.Fd()), 2)
	defer func() {
		_ = syscall.Dup2(saved, 2)
		_ = syscall.Close(saved)
	}()
	fn()
}
