package sfu

import (
	"sync"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// pacerRig is a bwe with an estimate, an audio and a video stream bound
// to it, and a writer that records what left, in order.
type pacerRig struct {
	b            *bwe
	audio, video interceptor.RTPWriter
	mu           sync.Mutex
	out          []sentRec
	got          chan struct{}
}

type sentRec struct {
	ssrc uint32
	seq  uint16 // the stream's RTP number
	tw   uint16 // the transport-wide number
	size int
	b0   byte // the payload's first byte: it was copied, not aliased
}

func newPacerRig(t *testing.T, estimate float64) *pacerRig {
	r := &pacerRig{b: &bwe{}, got: make(chan struct{}, 1024)}
	r.b.seen, r.b.st.est = true, estimate
	w := interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
		var ext rtp.TransportCCExtension
		if err := ext.Unmarshal(h.GetExtension(3)); err != nil {
			t.Errorf("a packet went out without its transport-wide number: %v", err)
		}
		r.mu.Lock()
		r.out = append(r.out, sentRec{ssrc: h.SSRC, seq: h.SequenceNumber, tw: ext.TransportSequence, size: len(payload), b0: payload[0]})
		r.mu.Unlock()
		r.got <- struct{}{}
		return len(payload), nil
	})
	ext := []interceptor.RTPHeaderExtension{{URI: twccURI, ID: 3}}
	r.audio = r.b.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "audio/opus", RTPHeaderExtensions: ext}, w)
	r.video = r.b.BindLocalStream(&interceptor.StreamInfo{SSRC: 2, MimeType: "video/VP8", RTPHeaderExtensions: ext}, w)
	t.Cleanup(func() { _ = r.b.Close() })
	return r
}

func (r *pacerRig) write(t *testing.T, w interceptor.RTPWriter, ssrc uint32, seq uint16, payload []byte) {
	t.Helper()
	payload[0] = byte(seq)
	h := rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq}
	if _, err := w.Write(&h, payload, nil); err != nil {
		t.Fatal(err)
	}
}

func (r *pacerRig) sent() []sentRec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentRec(nil), r.out...)
}

// TestPacerAudioFirst: a burst of video past what the bucket holds
// waits; audio written after it goes at once, ahead of the waiting
// video; then every packet leaves, each stream in its order, numbered
// for the estimate in the order they left, with its own bytes (copied
// when queued, though the writer reuses its buffer).
func TestPacerAudioFirst(t *testing.T) {
	r := newPacerRig(t, 300_000)
	// Keep the pacer's goroutine from starting, to see the queue as the
	// writes left it.
	r.b.pace.running = true
	video := make([]byte, 1000)
	for i := range 10 {
		r.write(t, r.video, 2, uint16(100+i), video)
	}
	r.write(t, r.audio, 1, 7, make([]byte, 100))
	held := r.sent()
	if n := len(held); n < 2 || n > 3 || held[n-1].ssrc != 1 {
		t.Fatalf("sent at once %+v: want the bucket's one or two video packets, then the audio, the rest held", held)
	}
	if r.b.pace.n != 10-(len(held)-1) {
		t.Fatalf("%d packets queued, want %d", r.b.pace.n, 10-(len(held)-1))
	}
	// Now let the pacer run: the queue drains at 1.25 × 300 kbit/s.
	r.b.mu.Lock()
	r.b.pace.running = false
	r.b.mu.Unlock()
	r.write(t, r.video, 2, 110, video)
	for range 12 { // every packet written, sent at once or by the pacer
		<-r.got
	}
	out := r.sent()
	if len(out) != 12 {
		t.Fatalf("%d packets left, want 12", len(out))
	}
	var next uint16 = 100
	for i, p := range out {
		if i > 0 && p.tw != out[i-1].tw+1 {
			t.Errorf("transport-wide numbers %d then %d: not in the order sent", out[i-1].tw, p.tw)
		}
		if p.ssrc != 2 {
			continue
		}
		if p.seq != next || p.b0 != byte(next) {
			t.Errorf("video packet %d (first byte %d) left where %d was due", p.seq, p.b0, next)
		}
		next++
	}
	if held, _ := r.b.paced(); held == 0 {
		t.Error("no packet was counted held")
	}
}

// TestPacerNoEstimateNoWait: a connection without an estimate (no
// transport-cc feedback yet) is not paced.
func TestPacerNoEstimateNoWait(t *testing.T) {
	r := newPacerRig(t, 0)
	r.b.seen = false
	for i := range 50 {
		r.write(t, r.video, 2, uint16(i), make([]byte, 1200))
	}
	if n := len(r.sent()); n != 50 {
		t.Errorf("%d of 50 packets went at once without an estimate", n)
	}
}

// TestPacerAllocatesNothing: queueing a packet (a copy into a reused
// slot) and sending it from the queue allocate nothing once warm.
func TestPacerAllocatesNothing(t *testing.T) {
	b := &bwe{}
	b.seen, b.st.est = true, 100_000
	b.pace.running = true // the test drains the queue itself
	info := &interceptor.StreamInfo{SSRC: 7, MimeType: "video/VP8", RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: twccURI, ID: 3}}}
	w := b.BindLocalStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	payload := make([]byte, 1000)
	shared := make([]rtp.Extension, 0, 4)
	var h rtp.Header
	write := func() {
		for range 2 * paceRing {
			h = rtp.Header{Version: 2, SSRC: 7, Extensions: shared[:0]}
			_, _ = w.Write(&h, payload, nil)
		}
		// Send what was queued, as the pacer's goroutine does.
		p := &b.pace
		for p.n > 0 {
			sl := &p.q[p.head]
			_, _ = sl.s.send(&sl.hdr, sl.buf, nil, b.stampLocked(0, sl.size))
			p.head = (p.head + 1) % paceRing
			p.n--
			p.queued -= sl.size
		}
		p.tokens = 0
	}
	write() // warm: the ring and its buffers are made once
	if b.pace.held == 0 {
		t.Fatal("nothing was queued: the test measures the wrong path")
	}
	if allocs := testing.AllocsPerRun(20, write); allocs != 0 {
		t.Errorf("%.1f allocations a round of %d packets, want 0", allocs, 2*paceRing)
	}
}
