package call

import (
	"fmt"
	"slices"
	"sync"

	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/pkg/api"
)

// fakeMedia stands in for the SFU: its routers record what the call asks
// of them and keep the router's contract (an id at most once, nothing
// after Close), with no pion and no network.
type fakeMedia struct {
	// failAdd makes every router's AddPeer fail, as a PeerConnection that
	// cannot be made.
	failAdd error

	mu      sync.Mutex
	routers []*fakeRouter
}

func (m *fakeMedia) NewRouter(name string, events sfu.Events) Router {
	r := &fakeRouter{name: name, events: events, peers: map[string]*fakePeer{}, failAdd: m.failAdd}
	m.mu.Lock()
	m.routers = append(m.routers, r)
	m.mu.Unlock()
	return r
}

// open counts the routers not closed.
func (m *fakeMedia) open() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.routers {
		if !r.isClosed() {
			n++
		}
	}
	return n
}

// made counts the routers made.
func (m *fakeMedia) made() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.routers)
}

// last is the router made last.
func (m *fakeMedia) last() *fakeRouter {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.routers) == 0 {
		return nil
	}
	return m.routers[len(m.routers)-1]
}

type fakeRouter struct {
	name   string
	events sfu.Events

	mu      sync.Mutex
	log     []string // "add ID", "remove ID", "close", in order
	peers   map[string]*fakePeer
	closed  bool
	failAdd error
}

func (r *fakeRouter) AddPeer(id string, sig sfu.Signaler) (Peer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, "add "+id)
	switch {
	case r.failAdd != nil:
		return nil, r.failAdd
	case r.closed:
		return nil, sfu.ErrClosed
	case r.peers[id] != nil:
		return nil, fmt.Errorf("peer %s is already in the call", id)
	}
	p := &fakePeer{id: id, sig: sig}
	r.peers[id] = p
	return p, nil
}

func (r *fakeRouter) RemovePeer(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, "remove "+id)
	delete(r.peers, id)
}

func (r *fakeRouter) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, "close")
	r.closed = true
	clear(r.peers)
}

func (r *fakeRouter) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// calls is what the call asked of the router so far, in order.
func (r *fakeRouter) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// peerIDs are the peers in the router, sorted.
func (r *fakeRouter) peerIDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for id := range r.peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (r *fakeRouter) peer(id string) *fakePeer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peers[id]
}

// fakePeer records what the participant's messages asked of its media.
type fakePeer struct {
	id  string
	sig sfu.Signaler

	mu      sync.Mutex
	offers  []api.SDP
	answers []api.SDP
	cands   []api.Candidate
	hidden  []string
	sizes   map[string]api.Size
	// refuse is what HandleOffer returns, when set.
	refuse error
}

func (p *fakePeer) HandleOffer(o api.SDP) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.offers = append(p.offers, o)
	return p.refuse
}

func (p *fakePeer) HandleAnswer(a api.SDP) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers = append(p.answers, a)
	return nil
}

func (p *fakePeer) HandleCandidate(c api.Candidate) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cands = append(p.cands, c)
	return nil
}

func (p *fakePeer) SetView(hidden []string, sizes map[string]api.Size) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hidden, p.sizes = hidden, sizes
}

func (p *fakePeer) view() ([]string, map[string]api.Size) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hidden, p.sizes
}

func (p *fakePeer) offerCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.offers)
}
