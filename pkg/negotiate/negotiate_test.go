package negotiate

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/rtctest"
	"github.com/rooms-dev/rooms/pkg/api"
)

// newPC is a loopback PeerConnection with the default codecs.
func newPC(t *testing.T) *webrtc.PeerConnection {
	return rtctest.NewPC(t, func(m *webrtc.MediaEngine) error { return m.RegisterDefaultCodecs() })
}

// pair is an offering and an answering side over loopback: offers sent go
// to offers, not answered until the test says.
type pair struct {
	a, b     *webrtc.PeerConnection
	offerer  *Negotiator
	answerer *Negotiator
	offers   chan webrtc.SessionDescription
}

func newPair(t *testing.T, cfg Config) *pair {
	p := &pair{a: newPC(t), b: newPC(t), offers: make(chan webrtc.SessionDescription, 16)}
	cfg.SendOffer = func(o webrtc.SessionDescription) error { p.offers <- o; return nil }
	p.offerer = New(p.a, cfg)
	p.answerer = New(p.b, Config{})
	t.Cleanup(p.offerer.Close)
	t.Cleanup(p.answerer.Close)
	return p
}

// change gives the offerer something new to offer: a data channel.
func (p *pair) change(t *testing.T, label string) {
	t.Helper()
	if _, err := p.a.CreateDataChannel(label, nil); err != nil {
		t.Fatal(err)
	}
}

// answer answers the offer out.
func (p *pair) answer(t *testing.T) {
	t.Helper()
	var o webrtc.SessionDescription
	select {
	case o = <-p.offers:
	default:
		t.Fatal("no offer was sent")
	}
	ans, err := p.answerer.HandleOffer(o.SDP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.offerer.HandleAnswer(ans.SDP); err != nil {
		t.Fatal(err)
	}
}

// TestOneOfferInFlight: changes while an offer is out make one more
// offer, sent once the first is answered, and no more.
func TestOneOfferInFlight(t *testing.T) {
	for _, changes := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("%d changes", changes), func(t *testing.T) {
			p := newPair(t, Config{})
			p.change(t, "first")
			p.offerer.Negotiate()
			for i := range changes {
				p.change(t, fmt.Sprint("more", i))
				p.offerer.Negotiate()
			}
			if n := len(p.offers); n != 1 {
				t.Fatalf("%d offers out at once, want 1", n)
			}
			if !p.offerer.Offering() {
				t.Fatal("not offering with an offer out")
			}
			p.answer(t) // the answer sends the offer asked for meanwhile
			if n := len(p.offers); n != 1 {
				t.Fatalf("%d offers after the answer, want the 1 asked for meanwhile", n)
			}
			p.answer(t)
			if n := len(p.offers); n != 0 || p.offerer.Offering() {
				t.Fatalf("%d offers (offering %v) once all is answered, want none", n, p.offerer.Offering())
			}
		})
	}
}

// TestAnswerRefused: an answer is taken only while an offer is out, and
// nothing after Close.
func TestAnswerRefused(t *testing.T) {
	p := newPair(t, Config{})
	if err := p.offerer.HandleAnswer("v=0"); !errors.Is(err, ErrNoOffer) {
		t.Fatalf("answer without an offer: %v, want ErrNoOffer", err)
	}
	p.change(t, "x")
	p.offerer.Negotiate()
	if err := p.offerer.HandleAnswer("not sdp"); err == nil {
		t.Fatal("a broken answer was applied")
	}
	p.offerer.Close()
	if err := p.offerer.HandleAnswer("v=0"); !errors.Is(err, ErrClosed) {
		t.Fatalf("answer after close: %v, want ErrClosed", err)
	}
	if _, err := p.answerer.HandleOffer("v=0", nil); err == nil {
		t.Fatal("a broken offer was applied")
	}
	p.offerer.Negotiate()
	if n := len(p.offers); n != 1 {
		t.Fatalf("%d offers sent, want the 1 before Close", n)
	}
}

// TestCandidatesHeld: candidates arriving before the remote description
// they belong to are held, up to the bound, and the bound is the one in
// pkg/api unless told.
func TestCandidatesHeld(t *testing.T) {
	cand := webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host"}
	for _, tc := range []struct {
		name string
		max  int
		want int
	}{
		{"default bound", 0, api.MaxCandidates},
		{"bound given", 3, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, side := range []string{"offerer", "answerer"} {
				p := newPair(t, Config{MaxPending: tc.max})
				n := New(p.b, Config{MaxPending: tc.max})
				if side == "offerer" {
					// An offer out: its answer's candidates wait for it.
					p.change(t, "x")
					p.offerer.Negotiate()
					n = p.offerer
				}
				for i := range tc.want {
					if err := n.AddCandidate(cand); err != nil {
						t.Fatalf("%s: candidate %d: %v", side, i+1, err)
					}
				}
				if err := n.AddCandidate(cand); !errors.Is(err, ErrTooManyPending) {
					t.Fatalf("%s: candidate %d: %v, want ErrTooManyPending", side, tc.want+1, err)
				}
			}
		})
	}
}

// TestTrickleConnects: two negotiators with candidates trickled both ways
// as they are gathered (the offerer's before the answerer has the offer,
// the answerer's before the offerer has the answer) connect on loopback.
func TestTrickleConnects(t *testing.T) {
	p := newPair(t, Config{})
	trickle := func(from *webrtc.PeerConnection, to **Negotiator) {
		from.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c != nil {
				// An error shows as a channel that never opens (and one
				// after the test, the connections closed, is no fault).
				_ = (*to).AddCandidate(c.ToJSON())
			}
		})
	}
	trickle(p.a, &p.answerer)
	trickle(p.b, &p.offerer)
	open := make(chan struct{})
	dc, err := p.a.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() { close(open) })
	p.offerer.Negotiate()
	p.answer(t)
	select {
	case <-open:
	case <-time.After(rtctest.WaitLimit):
		t.Fatal("the data channel did not open")
	}
}

// TestAnswerTimeout: an offer left unanswered is reported once; an
// answered one never is, even by a timer that fires late.
func TestAnswerTimeout(t *testing.T) {
	late := make(chan struct{}, 4)
	p := newPair(t, Config{AnswerTimeout: time.Millisecond, OnAnswerTimeout: func() { late <- struct{}{} }})
	p.change(t, "x")
	p.offerer.Negotiate()
	select {
	case <-late:
	case <-time.After(rtctest.WaitLimit):
		t.Fatal("an unanswered offer was not reported")
	}
	p.answer(t)
	p.offerer.answerLate(1) // the first offer's timer, were it to fire now
	p.offerer.answerLate(0)
	if n := len(late); n != 0 {
		t.Fatalf("%d reports after the answer, want none", n)
	}
	// An offer out when the negotiator closes is not reported late.
	q := newPair(t, Config{AnswerTimeout: time.Hour, OnAnswerTimeout: func() { late <- struct{}{} }})
	q.change(t, "y")
	q.offerer.Negotiate()
	q.offerer.Close()
	q.offerer.answerLate(1)
	if n := len(late); n != 0 || q.offerer.timer != nil {
		t.Fatalf("%d reports after Close (timer %v), want none and no timer", n, q.offerer.timer)
	}
}

// TestHeldCandidateRefused: a held candidate pion refuses once the offer
// is applied is reported as ErrHeldCandidate, and the answer still made.
func TestHeldCandidateRefused(t *testing.T) {
	var reported []error
	p := newPair(t, Config{})
	answerer := New(p.b, Config{OnError: func(err error) { reported = append(reported, err) }})
	if err := answerer.AddCandidate(webrtc.ICECandidateInit{Candidate: "candidate:garbage"}); err != nil {
		t.Fatal(err)
	}
	p.change(t, "x")
	p.offerer.Negotiate()
	o := <-p.offers
	if _, err := answerer.HandleOffer(o.SDP, nil); err != nil {
		t.Fatal(err)
	}
	if len(reported) != 1 || !errors.Is(reported[0], ErrHeldCandidate) {
		t.Fatalf("reported %v, want one ErrHeldCandidate", reported)
	}
}
