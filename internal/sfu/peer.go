package sfu

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"golang.org/x/time/rate"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/negotiate"
)

// Peer is one participant's two connections.
type Peer struct {
	id     string
	router *Router
	sig    Signaler
	pub    *webrtc.PeerConnection // the participant offers; we receive
	sub    *webrtc.PeerConnection // we offer; the participant receives
	// pubNeg answers the participant's offers; subNeg offers, one offer
	// in flight, and fails the peer when an answer is late.
	pubNeg, subNeg *negotiate.Negotiator

	// trackMu makes deciding on a new published track (the per-peer
	// bound, the screen-share slot) and adding it one step: pion reports
	// tracks concurrently.
	trackMu sync.Mutex
	mu      sync.Mutex
	// kinds says, by track id, what the participant said it publishes.
	kinds map[string]api.TrackKind
	// hidden are the others' tracks (by id) this participant does not
	// show now: not sent until shown again.
	hidden map[string]bool
	// sizes: how large (pixels) it shows them, by track id.
	sizes  map[string]tileSize
	closed bool

	// offerBudget charges publish offers by their m= sections.
	offerBudget *rate.Limiter
	// refused are the mids of publish sections refused (past the track
	// bound, or a screen past the call's cap): their transceivers stay
	// stopped, answered inactive, so a client sends nothing on them.
	refused map[string]bool
	// candidates counts the candidates trickled on each connection.
	candidates map[api.PeerConnection]int
	// subSections counts the m= sections of the last subscribe offer: an
	// answer has no more.
	subSections int
	// bwe estimates the subscribe connection's bandwidth (bwe.go); its
	// allocator (bandwidth.go) runs until done is closed.
	bwe  *bwe
	done chan struct{}
	// rtcp takes the subscribe connection's incoming RTCP (rtcpin.go).
	rtcp *rtcpIn
}

func newPeer(r *Router, id string, sig Signaler) (*Peer, error) {
	p := &Peer{id: id, router: r, sig: sig, kinds: map[string]api.TrackKind{},
		offerBudget: rate.NewLimiter(api.OfferCostPerSecond, api.OfferCostBurst),
		refused:     map[string]bool{}, candidates: map[api.PeerConnection]int{}, done: make(chan struct{}),
		rtcp: newRTCPIn()}
	var err error
	if p.pub, err = r.sfu.api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		return nil, fmt.Errorf("new publish connection: %w", err)
	}
	if p.sub, p.bwe, err = r.sfu.newSubscribeConnection(p.rtcp); err != nil {
		p.pub.Close()
		return nil, fmt.Errorf("new subscribe connection: %w", err)
	}
	p.rtcp.attach(p.bwe)
	for pc, name := range map[*webrtc.PeerConnection]api.PeerConnection{p.pub: api.PCPublish, p.sub: api.PCSubscribe} {
		name := name
		pc.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c == nil {
				return
			}
			init := c.ToJSON()
			sig.SendCandidate(api.Candidate{PC: name, Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
		})
		pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
			r.log.Debug("connection state", "peer", id, "pc", name, "state", s.String())
			if s == webrtc.PeerConnectionStateFailed {
				r.events.PeerFailed(id)
			}
			if s == webrtc.PeerConnectionStateConnected && name == api.PCSubscribe {
				// Whatever this peer now receives needs a keyframe to start.
				for _, f := range r.allForwarders() {
					if f.info.ParticipantID != id {
						f.requestKeyframes()
					}
				}
			}
		})
	}
	p.pubNeg = negotiate.New(p.pub, negotiate.Config{OnError: p.negotiationError})
	p.subNeg = negotiate.New(p.sub, negotiate.Config{
		SendOffer:     p.sendOffer,
		AnswerTimeout: r.sfu.answerTimeout,
		// A participant that never answers would hold every later change
		// back: after the timeout its media counts as failed.
		OnAnswerTimeout: func() {
			r.log.Info("no answer to an offer", "peer", id)
			r.events.PeerFailed(id)
		},
		OnError: p.negotiationError,
	})
	p.pub.OnTrack(func(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		p.onTrack(remote, recv)
	})
	return p, nil
}

// ID is the participant id.
func (p *Peer) ID() string { return p.id }

// maxTracksPerPeer bounds the tracks one participant publishes at once.
const maxTracksPerPeer = 4

// maxDeclaredTracks bounds the tracks one offer may declare kinds for.
const maxDeclaredTracks = 16

// SetHidden says which of the others' tracks this participant does not
// show now (SetView without sizes).
func (p *Peer) SetHidden(trackIDs []string) { p.SetView(trackIDs, nil) }

// maxTileSide bounds a tile size a participant reports, in pixels.
const maxTileSide = 16384

// SetView says which of the others' tracks this participant does not show
// now, and how large (pixels) it shows the others. Hidden tracks are
// paused for it (audio never is), and one shown again gets a keyframe
// asked for; a simulcast track's layer follows its size (layers.go).
// Each call replaces the last. Each track's owner applies it (owner.go):
// SetView does not wait for that.
func (p *Peer) SetView(trackIDs []string, sizes map[string]api.Size) {
	hidden := make(map[string]bool, len(trackIDs))
	for _, id := range trackIDs {
		hidden[id] = true
	}
	sz := make(map[string]tileSize, len(sizes))
	for id, s := range sizes {
		if s.W > 0 && s.H > 0 {
			sz[id] = tileSize{int32(min(s.W, maxTileSide)), int32(min(s.H, maxTileSide))}
		}
	}
	p.mu.Lock()
	p.hidden, p.sizes = hidden, sz
	p.mu.Unlock()
	// Each track's owner reads the view again (owner.go): whichever
	// reads last, after this or after a subscription, has the newest.
	for _, f := range p.router.allForwarders() {
		if f.info.ParticipantID != p.id {
			f.viewChanged(p)
		}
	}
}

// viewOf says whether this participant hides a track now, and how large
// it shows it.
func (p *Peer) viewOf(trackID string) (bool, tileSize) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hidden[trackID], p.sizes[trackID]
}

// HandleOffer applies the participant's offer on its publish connection
// and sends the answer. What the offer would cost is bounded before pion
// sees it (sdpcheck.go): its size, its sections and candidates, and the
// offers per second by their sections; refusals are *Refusal. Sections
// past the track bound are answered inactive.
func (p *Peer) HandleOffer(o api.SDP) error {
	if o.PC != api.PCPublish {
		return fmt.Errorf("offers are only taken on the publish connection, not %q", o.PC)
	}
	sh, scanErr := scanSDP(o.SDP, api.MaxOfferBytes, api.MaxOfferSections, api.MaxCandidates)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	// Every offer is charged, refused ones too.
	if !p.offerBudget.AllowN(time.Now(), 1+sh.sections) {
		p.mu.Unlock()
		return &Refusal{Code: api.CodeRateLimited, Fatal: true,
			Msg: fmt.Sprintf("too many publish offers: at most %d media sections a second, bursts of %d; reconnect and publish less often", api.OfferCostPerSecond, api.OfferCostBurst)}
	}
	if scanErr != nil {
		p.mu.Unlock()
		return scanErr
	}
	p.mu.Unlock()
	d, err := parseSDP(o.SDP, sh)
	if err != nil {
		return err
	}
	if n := live(d); n > api.MaxOfferMediaSections {
		return tooLarge("an offer with %d live media sections is refused: at most %d; publish at most microphone, camera and a screen with its sound", n, api.MaxOfferMediaSections)
	}
	p.mu.Lock()
	// Camera, microphone, a screen and its sound: more is not a person,
	// and each would go to everyone. Sections past the bound are refused
	// before the answer, so the client never sends on them.
	n := 0
	for _, mid := range sending(d) {
		if p.refused[mid] {
			continue
		}
		if n++; n > maxTracksPerPeer {
			p.refused[mid] = true
			p.router.sfu.refused.Add(1)
			p.router.log.Info("refused a track: too many from one participant", "peer", p.id, "mid", mid)
		}
	}
	// Each offer declares every track it carries: the last one replaces
	// the ones before, so tracks stopped (a screen shared and stopped
	// again and again) do not use up the bound.
	if o.Tracks != nil {
		kinds := make(map[string]api.TrackKind, min(len(o.Tracks), maxDeclaredTracks))
		for id, k := range o.Tracks {
			if len(kinds) < maxDeclaredTracks {
				kinds[id] = k
			}
		}
		p.kinds = kinds
	}
	p.mu.Unlock()
	p.restartedPublish(o.SDP)
	// pion turns a stopped transceiver the remote still sends on back
	// to recvonly: stop the refused ones again before answering.
	answer, err := p.pubNeg.HandleOffer(o.SDP, p.stopRefused)
	if err != nil {
		return fmt.Errorf("publish offer: %w", err)
	}
	p.sig.SendSDP(api.SDP{PC: api.PCPublish, SDP: answer.SDP})
	return nil
}

// HandleAnswer applies the participant's answer to our offer on its
// subscribe connection, then offers again if tracks changed meanwhile.
func (p *Peer) HandleAnswer(a api.SDP) error {
	if a.PC != api.PCSubscribe {
		return fmt.Errorf("answers are only taken on the subscribe connection, not %q", a.PC)
	}
	if !p.subNeg.Offering() {
		return fmt.Errorf("answer without an offer")
	}
	// An answer has the sections of our offer, no more; its size is
	// bounded by the message's (a 50-person call's answer is large).
	p.mu.Lock()
	sections := p.subSections
	p.mu.Unlock()
	if _, err := scanSDP(a.SDP, api.MaxSignalMessage, sections, api.MaxCandidates); err != nil {
		return err
	}
	if err := p.subNeg.HandleAnswer(a.SDP); err != nil {
		return fmt.Errorf("subscribe answer: %w", err)
	}
	return nil
}

// HandleCandidate adds a trickled candidate from the participant, up to
// MaxCandidates a connection. The server is ICE-lite: it
// never sends a check to a candidate, it only answers the client's.
func (p *Peer) HandleCandidate(c api.Candidate) error {
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	if c.PC != api.PCPublish && c.PC != api.PCSubscribe {
		return fmt.Errorf("unknown connection %q", c.PC)
	}
	if c.Candidate != "" {
		p.mu.Lock()
		if p.candidates[c.PC] >= api.MaxCandidates {
			p.mu.Unlock()
			return tooLarge("more than %d ICE candidates on one connection are refused", api.MaxCandidates)
		}
		p.candidates[c.PC]++
		p.mu.Unlock()
	}
	switch c.PC {
	case api.PCPublish:
		if p.pub.RemoteDescription() == nil {
			return fmt.Errorf("candidate before the offer")
		}
		return p.pubNeg.AddCandidate(init)
	case api.PCSubscribe:
		// Held until the answer to an offer out is applied.
		return p.subNeg.AddCandidate(init)
	}
	return fmt.Errorf("unknown connection %q", c.PC)
}

// negotiate offers the subscribe connection's current tracks, unless an
// offer is already out: then it offers again once that one is answered.
func (p *Peer) negotiate() { p.subNeg.Negotiate() }

// sendOffer sends an offer on the subscribe connection, counting its
// sections first: its answer may have no more.
func (p *Peer) sendOffer(o webrtc.SessionDescription) error {
	p.mu.Lock()
	p.subSections = countSections(o.SDP)
	p.mu.Unlock()
	p.sig.SendSDP(api.SDP{PC: api.PCSubscribe, SDP: o.SDP})
	return nil
}

// negotiationError logs what went wrong negotiating where nobody waits
// for the error: a refused held candidate is routine, a failed offer not.
func (p *Peer) negotiationError(err error) {
	if errors.Is(err, negotiate.ErrHeldCandidate) {
		p.router.log.Debug("negotiate", "peer", p.id, "err", err)
		return
	}
	p.router.log.Warn("negotiate", "peer", p.id, "err", err)
}

// onTrack starts forwarding a track the participant publishes, or adds a
// layer to a simulcast track it already forwards.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	p.trackMu.Lock()
	defer p.trackMu.Unlock()
	mine := p.router.forwardersOf(p.id)
	if remote.RID() != "" {
		for _, f := range mine {
			if f.recv == recv {
				p.runLayer(f, remote)
				return
			}
		}
	}
	p.mu.Lock()
	kind, ok := p.kinds[remote.ID()]
	p.mu.Unlock()
	if !ok {
		kind = api.KindVideo
		if remote.Kind() == webrtc.RTPCodecTypeAudio {
			kind = api.KindAudio
		}
	}
	if n := len(mine); n >= maxTracksPerPeer {
		// The offer's bound let it through (a section reused while the
		// old track still ends): refuse it all the same.
		p.router.log.Info("refused a track: too many from one participant", "peer", p.id, "tracks", n)
		p.router.sfu.refused.Add(1)
		p.refuse(recv)
		return
	}
	if !p.router.events.AllowTrack(p.id, kind) {
		p.router.sfu.refused.Add(1)
		p.refuse(recv)
		return
	}
	f, err := newForwarder(p, remote, recv, kind)
	if err != nil {
		p.router.log.Warn("forward track", "peer", p.id, "err", err)
		return
	}
	li, _ := f.addLayer(remote)
	if f.inbox != nil {
		// Before the subscriptions, which tell it of themselves.
		p.router.goOwned(func() { f.own(f.done) })
	}
	if !p.router.addTrack(f) {
		f.stop()
		return
	}
	p.router.goOwned(func() {
		if f.runLayer(li) {
			p.router.endTrack(f)
		}
	})
}

// runLayer reads one more layer of a simulcast track; one it has no place
// for is drained.
func (p *Peer) runLayer(f *forwarder, remote *webrtc.TrackRemote) {
	li, ok := f.addLayer(remote)
	if !ok {
		// Its section carries the layers forwarded, so it cannot stop;
		// pion buffers the layer's few packets and drops the rest.
		p.router.log.Info("refused a simulcast layer", "peer", p.id, "track", f.info.ID, "rid", remote.RID())
		return
	}
	p.router.goOwned(func() {
		if f.runLayer(li) {
			p.router.endTrack(f)
		}
	})
}

// refuse stops the transceiver a track refused on arrival came on (a
// screen past the call's cap): nothing reads it, nothing is buffered
// past pion's bound. The client is told and takes the track away; a new
// track on the same section later gets a fresh receiver from pion, so a
// screen shared again once a slot frees goes through.
func (p *Peer) refuse(recv *webrtc.RTPReceiver) {
	for _, t := range p.pub.GetTransceivers() {
		if t.Receiver() != recv {
			continue
		}
		if err := t.Stop(); err != nil {
			p.router.log.Debug("stop a refused transceiver", "peer", p.id, "err", err)
		}
		return
	}
	// Not found (the connection closed meanwhile): stopping the receiver
	// is all there is to do.
	_ = recv.Stop()
}

// stopRefused stops the publish transceivers whose mids were refused.
func (p *Peer) stopRefused() {
	p.mu.Lock()
	if len(p.refused) == 0 {
		p.mu.Unlock()
		return
	}
	refused := make(map[string]bool, len(p.refused))
	for mid := range p.refused {
		refused[mid] = true
	}
	p.mu.Unlock()
	for _, t := range p.pub.GetTransceivers() {
		if refused[t.Mid()] {
			if err := t.Stop(); err != nil {
				p.router.log.Debug("stop a refused transceiver", "peer", p.id, "err", err)
			}
		}
	}
}

// countSections counts the m= lines of an SDP.
func countSections(sdp string) int {
	n := strings.Count(sdp, "\nm=")
	if strings.HasPrefix(sdp, "m=") {
		n++
	}
	return n
}

func (p *Peer) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	close(p.done)
	p.pubNeg.Close()
	p.subNeg.Close()
	p.pub.Close()
	p.sub.Close()
}
