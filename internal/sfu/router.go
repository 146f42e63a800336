package sfu

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Events is how a router tells the call about media. Calls come from the
// router's goroutines and must not block.
type Events interface {
	// TrackPublished: a participant's track started arriving.
	TrackPublished(t api.Track)
	// TrackUnpublished: it stopped.
	TrackUnpublished(t api.Track)
	// PeerFailed: a participant's media connection failed for good.
	PeerFailed(peerID string)
	// Speaking: a participant started or stopped speaking, by the audio
	// level its client or browser puts in each packet.
	Speaking(peerID string, speaking bool)
	// AllowTrack says whether a newly arrived track may be forwarded
	// (a screen past the room's limit of sharers may not).
	AllowTrack(peerID string, kind api.TrackKind) bool
}

// Signaler sends a participant the SDP and candidates of its connections.
// Calls must not block.
type Signaler interface {
	SendSDP(api.SDP)
	SendCandidate(api.Candidate)
	// SendLayers tells a simulcast publisher which layers of its track
	// somebody receives.
	SendLayers(api.Layers)
}

// ErrClosed is returned after the router or peer closed.
var ErrClosed = errors.New("closed")

// Router forwards media among the peers of one call.
type Router struct {
	sfu    *SFU
	events Events
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	peers  map[string]*Peer
	tracks map[string]*forwarder // by track id
	closed bool
}

// NewRouter makes a router for one call.
func (s *SFU) NewRouter(name string, events Events) *Router {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Router{
		sfu: s, events: events, log: s.log.With("call", name),
		ctx: ctx, cancel: cancel,
		peers: map[string]*Peer{}, tracks: map[string]*forwarder{},
	}
	r.goOwned(r.selectAudio)
	return r
}

// AddPeer adds a participant. It receives every track already published.
func (r *Router) AddPeer(id string, sig Signaler) (*Peer, error) {
	p, err := newPeer(r, id, sig)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		p.close()
		return nil, ErrClosed
	}
	if _, dup := r.peers[id]; dup {
		r.mu.Unlock()
		p.close()
		return nil, fmt.Errorf("peer %s is already in the call", id)
	}
	r.peers[id] = p
	// Started under r.mu with the router open, so Close's wait comes
	// after this goroutine is counted.
	r.goOwned(func() { p.allocateLoop(p.done) })
	existing := make([]*forwarder, 0, len(r.tracks))
	for _, f := range r.tracks {
		existing = append(existing, f)
	}
	r.mu.Unlock()
	for _, f := range existing {
		f.subscribe(p)
	}
	return p, nil
}

// RemovePeer closes a participant's connections and unpublishes its tracks.
func (r *Router) RemovePeer(id string) {
	r.mu.Lock()
	p := r.peers[id]
	delete(r.peers, id)
	r.mu.Unlock()
	if p == nil {
		return
	}
	p.close()
	for _, f := range r.forwardersOf(id) {
		r.endTrack(f)
	}
	for _, f := range r.allForwarders() {
		f.unsubscribe(id)
	}
}

// Peers says how many peers are in the router.
func (r *Router) Peers() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.peers)
}

func (r *Router) forwardersOf(peerID string) []*forwarder {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*forwarder
	for _, f := range r.tracks {
		if f.info.ParticipantID == peerID {
			out = append(out, f)
		}
	}
	return out
}

func (r *Router) allForwarders() []*forwarder {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*forwarder, 0, len(r.tracks))
	for _, f := range r.tracks {
		out = append(out, f)
	}
	return out
}

func (r *Router) otherPeers(id string) []*Peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Peer, 0, len(r.peers))
	for pid, p := range r.peers {
		if pid != id {
			out = append(out, p)
		}
	}
	return out
}

// addTrack starts forwarding a newly arrived track to every other peer.
func (r *Router) addTrack(f *forwarder) bool {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return false
	}
	if _, ok := r.peers[f.info.ParticipantID]; !ok {
		r.mu.Unlock()
		return false
	}
	r.tracks[f.info.ID] = f
	r.mu.Unlock()
	r.events.TrackPublished(f.info)
	for _, p := range r.otherPeers(f.info.ParticipantID) {
		f.subscribe(p)
	}
	return true
}

// endTrack stops forwarding a track and takes it from every subscriber.
func (r *Router) endTrack(f *forwarder) {
	r.mu.Lock()
	_, ok := r.tracks[f.info.ID]
	delete(r.tracks, f.info.ID)
	r.mu.Unlock()
	if !ok {
		return
	}
	f.stop()
	r.events.TrackUnpublished(f.info)
}

// go runs fn as a goroutine the router owns and waits for on Close.
func (r *Router) goOwned(fn func()) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		fn()
	}()
}

// Close removes every peer and waits for the router's goroutines.
func (r *Router) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	peers := make([]*Peer, 0, len(r.peers))
	for _, p := range r.peers {
		peers = append(peers, p)
	}
	r.peers = map[string]*Peer{}
	fwds := make([]*forwarder, 0, len(r.tracks))
	for _, f := range r.tracks {
		fwds = append(fwds, f)
	}
	r.tracks = map[string]*forwarder{}
	r.mu.Unlock()
	r.cancel()
	for _, p := range peers {
		p.close()
	}
	for _, f := range fwds {
		f.stop()
	}
	r.wg.Wait()
}

func (r *Router) peer(id string) *Peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peers[id]
}
