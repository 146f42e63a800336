package client

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

type pacedWrites struct {
	mu   sync.Mutex
	seqs []uint16
}

func (w *pacedWrites) Write(h *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seqs = append(w.seqs, h.SequenceNumber)
	return 0, nil
}

func (w *pacedWrites) got() []uint16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]uint16(nil), w.seqs...)
}

// TestPacer: audio goes out at once whatever waits; video goes out in
// order, all of it, however far the sender overshot.
func TestPacer(t *testing.T) {
	p := newPacer(100_000) // drains 250 kbit/s: 250 ms is about 7.8 KB
	defer p.Close()
	video, audio := &pacedWrites{}, &pacedWrites{}
	p.AddStream(1, video)
	p.AddStream(2, audio)
	payload := make([]byte, 1000)
	for i := range 100 { // 100 KB at once: a keyframe far over the estimate
		if _, err := p.Write(&rtp.Header{SSRC: 1, SequenceNumber: uint16(i)}, payload, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Write(&rtp.Header{SSRC: 2, SequenceNumber: 7}, payload[:100], interceptor.Attributes{audioKey{}: true}); err != nil {
		t.Fatal(err)
	}
	if got := audio.got(); len(got) != 1 || got[0] != 7 {
		t.Fatalf("audio written %v at once, want [7]", got)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(video.got()) < 100 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := video.got()
	if len(got) != 100 {
		t.Fatalf("%d of 100 video packets written", len(got))
	}
	for i, s := range got {
		if s != uint16(i) {
			t.Fatalf("video written out of order: %v", got)
		}
	}
}
