package media

import "sync"

// mixer holds a small jitter buffer of 48 kHz stereo samples per
// participant and mixes them on demand. Writers add decoded audio; the
// sound device's callback pulls. A stream that runs dry plays silence (it
// does not stall the others); one that runs ahead loses its oldest audio,
// so latency stays bounded.
type mixer struct {
	mu      sync.Mutex
	streams map[string]*ring
	// target is the buffered depth a stream starts playing at; limit is
	// the most it may hold (both in stereo frames).
	target, limit int
}

type ring struct {
	buf     []int16 // interleaved stereo
	playing bool
}

func newMixer(targetFrames, limitFrames int) *mixer {
	return &mixer{streams: map[string]*ring{}, target: targetFrames, limit: limitFrames}
}

// write adds PCM (mono or stereo at 48 kHz) for a stream.
func (m *mixer) write(id string, pcm []int16, channels int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.streams[id]
	if r == nil {
		r = &ring{}
		m.streams[id] = r
	}
	if channels == 1 {
		for _, s := range pcm {
			r.buf = append(r.buf, s, s)
		}
	} else {
		r.buf = append(r.buf, pcm...)
	}
	if over := len(r.buf) - 2*m.limit; over > 0 {
		r.buf = append(r.buf[:0], r.buf[over:]...)
	}
	if len(r.buf) >= 2*m.target {
		r.playing = true
	}
}

// remove forgets a stream.
func (m *mixer) remove(id string) {
	m.mu.Lock()
	delete(m.streams, id)
	m.mu.Unlock()
}

// mix fills out (interleaved stereo) with the sum of every playing
// stream, clipped, and consumes what it used.
func (m *mixer) mix(out []int16) {
	for i := range out {
		out[i] = 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.streams {
		if !r.playing {
			continue
		}
		n := min(len(out), len(r.buf))
		for i := 0; i < n; i++ {
			v := int32(out[i]) + int32(r.buf[i])
			out[i] = int16(max(-32768, min(32767, v)))
		}
		r.buf = append(r.buf[:0], r.buf[n:]...)
		if len(r.buf) == 0 {
			r.playing = false // ran dry: wait for the buffer to fill again
		}
	}
}
