package client

import (
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// pacer spreads a publish connection's video packets out at a multiple of
// the estimate (gcc.Pacer), so a keyframe does not leave as one burst
// that overflows a narrow link's queue. Unlike gcc's own leaky bucket it
// never delays audio (sent at once: a voice is small and must not wait
// behind a keyframe) and holds video about maxPacing at most (an encoder
// overshooting its target, or an estimate fallen below what the link
// carries, would otherwise grow its queue, and the call's delay, without
// end): while more waits, it drains faster, still spread out (a burst
// would look like congestion to the estimate).
type pacer struct {
	mu      sync.Mutex
	writers map[uint32]interceptor.RTPWriter
	rate    int // bits per second the queue drains at
	queue   []paced
	bytes   int // queued
	budget  float64
	last    time.Time
	// run's timer: started with the first packet queued, stopped when
	// the queue is empty; nil when none runs.
	timer  *time.Timer
	closed bool
}

type paced struct {
	h rtp.Header
	b []byte
	a interceptor.Attributes
}

const (
	// pacingFactor times the estimate is the rate video drains at
	// (Chrome's is 2.5).
	pacingFactor = 2.5
	// pacingTick is how often the queue drains.
	pacingTick = 5 * time.Millisecond
	// maxPacing is the most video waits in the queue.
	maxPacing = 250 * time.Millisecond
)

// audioKey marks an audio packet's attributes (set by audioMark, which
// knows each stream's kind): the pacer sends it at once.
type audioKey struct{}

func newPacer(estimate int) *pacer {
	return &pacer{writers: map[uint32]interceptor.RTPWriter{}, rate: int(pacingFactor * float64(estimate))}
}

func (p *pacer) AddStream(ssrc uint32, w interceptor.RTPWriter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writers[ssrc] = w
}

func (p *pacer) SetTargetBitrate(bps int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = int(pacingFactor * float64(bps))
}

func (p *pacer) Write(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
	n := h.MarshalSize() + len(payload)
	p.mu.Lock()
	w := p.writers[h.SSRC]
	if p.closed || w == nil {
		p.mu.Unlock()
		return n, nil // the connection is closing: the packet is lost
	}
	if _, audio := a[audioKey{}]; audio || (len(p.queue) == 0 && p.budget >= float64(n)) {
		if !audio {
			p.budget -= float64(n)
		}
		p.mu.Unlock()
		return w.Write(h, payload, a)
	}
	hh := h.Clone()
	p.queue = append(p.queue, paced{h: hh, b: append([]byte(nil), payload...), a: maps.Clone(a)})
	p.bytes += n
	if p.timer == nil {
		p.last = time.Now()
		p.timer = time.AfterFunc(pacingTick, p.drain)
	}
	p.mu.Unlock()
	return n, nil
}

// drain sends what the time since the last drain allows, and runs again
// while packets wait. The timer's goroutine; one at a time.
func (p *pacer) drain() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	now := time.Now()
	// Faster while more waits than maxPacing at the rate drains, so
	// nothing waits much longer: spread out still, not one burst.
	rate := max(float64(p.rate), float64(p.bytes)*8/maxPacing.Seconds())
	// The budget carries a little over (a packet larger than one tick's
	// share goes out when it is earned), never a burst's worth.
	p.budget = min(p.budget+rate/8*now.Sub(p.last).Seconds(), rate/8*pacingTick.Seconds()*4)
	p.last = now
	var out []paced
	for len(p.queue) > 0 && p.budget > 0 {
		q := p.queue[0]
		n := q.h.MarshalSize() + len(q.b)
		p.budget -= float64(n)
		p.bytes -= n
		out = append(out, q)
		p.queue[0] = paced{}
		p.queue = p.queue[1:]
	}
	if len(p.queue) > 0 {
		p.timer.Reset(pacingTick)
	} else {
		p.timer = nil
	}
	p.mu.Unlock()
	p.send(out)
}

// send writes packets taken off the queue, in order.
func (p *pacer) send(out []paced) {
	for _, q := range out {
		p.mu.Lock()
		w := p.writers[q.h.SSRC]
		p.mu.Unlock()
		if w != nil {
			_, _ = w.Write(&q.h, q.b, q.a)
		}
	}
}

func (p *pacer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.queue, p.bytes = nil, 0
	return nil
}

// audioMark marks the packets of audio streams for the pacer. It sits
// outside the estimator (registered after it), where the stream's kind
// is known.
type audioMark struct{ interceptor.NoOp }

func (m *audioMark) NewInterceptor(string) (interceptor.Interceptor, error) { return m, nil }

func (m *audioMark) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "audio/") {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if a == nil {
			a = interceptor.Attributes{}
		}
		a[audioKey{}] = true
		return w.Write(h, payload, a)
	})
}
