// Package negotiate runs the offer/answer exchange of one pion
// PeerConnection: one offer in flight, a change meanwhile negotiated again
// once it is answered, remote ICE candidates held (bounded) until the
// remote description they belong to is set, and an answer timeout. It
// knows nothing of rooms: its caller carries the descriptions to the other
// side. The server (internal/sfu) and the Go client (pkg/client) both use
// it, for the connection they offer on and the one they answer on.
package negotiate

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Errors of the exchange.
var (
	// ErrNoOffer is an answer while no offer of ours is out.
	ErrNoOffer = errors.New("an answer without an offer")
	// ErrTooManyPending is a candidate past the bound held before the
	// remote description.
	ErrTooManyPending = errors.New("too many candidates before the remote description")
	// ErrClosed is a description handled after Close.
	ErrClosed = errors.New("negotiation closed")
	// ErrHeldCandidate marks a held candidate pion refused once its
	// description was set (reported to OnError; routine, not a fault).
	ErrHeldCandidate = errors.New("a held candidate was refused")
)

// Config says how a Negotiator reaches the other side.
type Config struct {
	// SendOffer delivers an offer, already set as the local description,
	// to the other side; an error there means no offer is out.
	SendOffer func(offer webrtc.SessionDescription) error
	// AnswerTimeout, when positive, bounds the wait for the answer to an
	// offer: past it OnAnswerTimeout is called, once for that offer.
	AnswerTimeout   time.Duration
	OnAnswerTimeout func()
	// MaxPending bounds the candidates held before the remote description
	// is set; 0 means api.MaxCandidates.
	MaxPending int
	// OnError, when set, hears what went wrong where nobody waits for an
	// error: an offer that could not be made or sent, a held candidate
	// refused (ErrHeldCandidate).
	OnError func(err error)
}

// Negotiator is the negotiation state of one PeerConnection. Its methods
// are safe to call from any goroutine; SendOffer and OnAnswerTimeout are
// called without its lock held.
type Negotiator struct {
	pc  *webrtc.PeerConnection
	cfg Config

	mu sync.Mutex
	// offering: an offer is out; again: negotiate once it is answered.
	offering, again, closed bool
	// restart: the next offer restarts ICE (new ufrag and pwd).
	restart bool
	// offers counts offers sent, so a late timer knows its offer was
	// answered.
	offers  int
	timer   *time.Timer
	pending []webrtc.ICECandidateInit
}

// New negotiates pc's descriptions as cfg says.
func New(pc *webrtc.PeerConnection, cfg Config) *Negotiator {
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = api.MaxCandidates
	}
	return &Negotiator{pc: pc, cfg: cfg}
}

// Negotiate offers pc's current state, unless an offer is already out:
// then it offers again once that one is answered.
func (n *Negotiator) Negotiate() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	if n.offering {
		n.again = true
		n.mu.Unlock()
		return
	}
	n.offering = true
	restart := n.restart
	n.restart = false
	n.mu.Unlock()
	var opts *webrtc.OfferOptions
	if restart {
		opts = &webrtc.OfferOptions{ICERestart: true}
	}
	offer, err := n.pc.CreateOffer(opts)
	if err == nil {
		err = n.pc.SetLocalDescription(offer)
	}
	if err != nil {
		// Closed meanwhile (the connection with it): nothing went wrong.
		if !n.notOffering() {
			n.report(fmt.Errorf("make an offer: %w", err))
		}
		return
	}
	n.mu.Lock()
	if n.closed {
		n.offering = false
		n.mu.Unlock()
		return
	}
	n.offers++
	if n.timer != nil {
		n.timer.Stop()
		n.timer = nil
	}
	if n.cfg.AnswerTimeout > 0 && n.cfg.OnAnswerTimeout != nil {
		// A side that never answers would hold every later change back.
		sent := n.offers
		n.timer = time.AfterFunc(n.cfg.AnswerTimeout, func() { n.answerLate(sent) })
	}
	n.mu.Unlock()
	if err := n.cfg.SendOffer(*n.pc.LocalDescription()); err != nil {
		if !n.notOffering() {
			n.report(fmt.Errorf("send an offer: %w", err))
		}
	}
}

// Restart offers with new ICE credentials, so both sides gather and
// check afresh on the same PeerConnection (RFC 8445 section 9): the way
// back after the network changed or ICE failed. With an offer out, the
// restart is the next offer, made once that one is answered.
func (n *Negotiator) Restart() {
	n.mu.Lock()
	n.restart = true
	n.mu.Unlock()
	n.Negotiate()
}

// notOffering forgets the offer out (it was never sent), and says
// whether the negotiator is closed.
func (n *Negotiator) notOffering() (closed bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.offering = false
	if n.timer != nil {
		n.timer.Stop()
		n.timer = nil
	}
	return n.closed
}

// answerLate calls OnAnswerTimeout if offer number sent is still out.
func (n *Negotiator) answerLate(sent int) {
	n.mu.Lock()
	late := n.offering && n.offers == sent && !n.closed
	n.mu.Unlock()
	if late {
		n.cfg.OnAnswerTimeout()
	}
}

// Offering says whether an offer is out.
func (n *Negotiator) Offering() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.offering
}

// HandleAnswer applies the answer to the offer out, adds the candidates
// held for it, and offers again if something changed meanwhile.
func (n *Negotiator) HandleAnswer(sdp string) error {
	n.mu.Lock()
	switch {
	case n.closed:
		n.mu.Unlock()
		return ErrClosed
	case !n.offering:
		n.mu.Unlock()
		return ErrNoOffer
	}
	n.mu.Unlock()
	if err := n.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("apply the answer: %w", err)
	}
	n.mu.Lock()
	pending := n.pending
	n.pending = nil
	n.offering = false
	again := n.again
	n.again = false
	if n.timer != nil {
		n.timer.Stop()
		n.timer = nil
	}
	n.mu.Unlock()
	n.addHeld(pending)
	if again {
		n.Negotiate()
	}
	return nil
}

// HandleOffer applies the other side's offer, adds the candidates held
// for it, calls beforeAnswer (if set) and makes the answer, set as the
// local description and returned for the caller to send.
func (n *Negotiator) HandleOffer(sdp string, beforeAnswer func()) (webrtc.SessionDescription, error) {
	n.mu.Lock()
	closed := n.closed
	n.mu.Unlock()
	if closed {
		return webrtc.SessionDescription{}, ErrClosed
	}
	if err := n.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("apply the offer: %w", err)
	}
	n.mu.Lock()
	pending := n.pending
	n.pending = nil
	n.mu.Unlock()
	n.addHeld(pending)
	if beforeAnswer != nil {
		beforeAnswer()
	}
	answer, err := n.pc.CreateAnswer(nil)
	if err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("create the answer: %w", err)
	}
	if err := n.pc.SetLocalDescription(answer); err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("set the answer: %w", err)
	}
	return *n.pc.LocalDescription(), nil
}

// AddCandidate adds a remote candidate, or holds it while the remote
// description it belongs to is not set yet (none, or our offer is out
// and its answer will be): at most MaxPending are held.
func (n *Negotiator) AddCandidate(c webrtc.ICECandidateInit) error {
	n.mu.Lock()
	if n.pc.RemoteDescription() == nil || n.offering {
		defer n.mu.Unlock()
		if len(n.pending) >= n.cfg.MaxPending {
			return fmt.Errorf("%w (at most %d)", ErrTooManyPending, n.cfg.MaxPending)
		}
		n.pending = append(n.pending, c)
		return nil
	}
	n.mu.Unlock()
	return n.pc.AddICECandidate(c)
}

// addHeld adds candidates held for a remote description now set.
func (n *Negotiator) addHeld(pending []webrtc.ICECandidateInit) {
	for _, c := range pending {
		if err := n.pc.AddICECandidate(c); err != nil {
			n.report(fmt.Errorf("%w: %w", ErrHeldCandidate, err))
		}
	}
}

func (n *Negotiator) report(err error) {
	if n.cfg.OnError != nil {
		n.cfg.OnError(err)
	}
}

// Close stops negotiating: no offer is made after it, and no timeout
// fires. It does not close the PeerConnection.
func (n *Negotiator) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	n.pending = nil
	if n.timer != nil {
		n.timer.Stop()
		n.timer = nil
	}
}
