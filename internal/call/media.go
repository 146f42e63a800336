package call

import (
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/pkg/api"
)

// The seam between calls and media: a call uses its router and each
// participant's peer only through these, so admission, rejoin and the
// grace period are tested with a router that records calls (no pion, no
// network); the server passes the real SFU through SFU.

// Media makes the router of each call.
type Media interface {
	// NewRouter makes the router of one call, which tells the call about
	// its media through events.
	NewRouter(name string, events sfu.Events) Router
}

// Router forwards the media of one call among its participants.
type Router interface {
	// AddPeer adds a participant's media connections; sig sends it the
	// router's SDP and candidates.
	AddPeer(id string, sig sfu.Signaler) (Peer, error)
	// RemovePeer closes a participant's connections and unpublishes its
	// tracks; an id not in the router is a no-op.
	RemovePeer(id string)
	// Close ends every peer; the router is not used again.
	Close()
}

// Peer is one participant's media connections, as its messages drive them.
type Peer interface {
	HandleOffer(api.SDP) error
	HandleAnswer(api.SDP) error
	HandleCandidate(api.Candidate) error
	// SetView says which of the others' tracks the participant does not
	// show, and the size it draws the others at.
	SetView(hidden []string, sizes map[string]api.Size)
}

// SFU is the real media: each call's router is one of s's.
func SFU(s *sfu.SFU) Media { return sfuMedia{s} }

type sfuMedia struct{ s *sfu.SFU }

func (m sfuMedia) NewRouter(name string, events sfu.Events) Router {
	return sfuRouter{m.s.NewRouter(name, events)}
}

// sfuRouter returns the router's *sfu.Peer as a Peer.
type sfuRouter struct{ *sfu.Router }

func (r sfuRouter) AddPeer(id string, sig sfu.Signaler) (Peer, error) {
	p, err := r.Router.AddPeer(id, sig)
	if err != nil {
		return nil, err // not a nil *sfu.Peer in a non-nil Peer
	}
	return p, nil
}
