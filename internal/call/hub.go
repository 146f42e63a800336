// Package call runs live calls: who is in each room's call, admission by
// room's rules, host actions during the call, events to every participant.
// Media goes through a Router per call (an sfu.Router in roomsd, through
// the Media seam); signalling transports (the WebSocket in package signal)
// deliver messages to and from sessions.
package call

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/roomwire"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Config is what the hub needs.
type Config struct {
	Store store.Store
	// Media makes each call's router: SFU(the server's SFU).
	Media  Media
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Grace is how long a participant whose connection dropped keeps its
	// place before the others are told it left. Zero means 15 s.
	Grace time.Duration
	// PublicURL makes the links of the room in joined and room_updated
	// messages.
	PublicURL string
	// MaxParticipants is the server's cap, which room edits are checked against.
	MaxParticipants int
	// MaxScreenShares is the server's cap on how many people may share a
	// screen at once in a call (a room may set a lower one); 0 means
	// room.DefaultMaxScreenShares.
	MaxScreenShares int
	// KnockWait bounds how long a knock on a locked room waits for the
	// host; 0 means api.KnockWait.
	KnockWait time.Duration
	// ICEServers, when set, gives each participant the TURN servers of
	// its join answer, with a credential of its own.
	ICEServers func(participant string) []api.ICEServer
}

// Hub holds every live call of a server.
type Hub struct {
	cfg  Config
	log  *slog.Logger
	wire roomwire.Server // renders the room in joined and room_updated

	mu     sync.Mutex
	calls  map[string]*Call
	closed bool

	door door // knocks on locked rooms
}

// NewHub makes a hub.
func NewHub(cfg Config) *Hub {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Grace == 0 {
		cfg.Grace = 15 * time.Second
	}
	if cfg.MaxScreenShares == 0 {
		cfg.MaxScreenShares = room.DefaultMaxScreenShares
	}
	if cfg.MaxParticipants == 0 {
		cfg.MaxParticipants = room.DefaultCapacity
	}
	if cfg.KnockWait == 0 {
		cfg.KnockWait = api.KnockWait
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{cfg: cfg, log: cfg.Logger, calls: map[string]*Call{},
		wire: roomwire.Server{PublicURL: cfg.PublicURL, MaxScreenShares: cfg.MaxScreenShares}}
}

// Conn is a participant's signalling transport.
type Conn interface {
	// Send queues a message; false means the transport is gone or too far
	// behind, and it will be closed.
	Send(api.Message) bool
	// Close ends the transport after what was queued is sent.
	Close(reason string)
}

// Joiner is someone asking to enter a call, already authenticated by its
// key signature.
type Joiner struct {
	Name      string
	PublicKey string
	HostKey   string
	Rejoin    string
	// Knock asks the host to let a newcomer into a locked room.
	Knock bool
	// Addr is the client address of the request that opened the
	// connection: for the audit trail of host actions, and knocks are
	// bounded per address.
	Addr string
}

// ErrHubClosed is returned once the server is shutting down.
var ErrHubClosed = errors.New("the server is shutting down")

// Join admits j into the call of roomID, or says why not with an error
// that Code maps to a stable code.
func (h *Hub) Join(ctx context.Context, roomID string, j Joiner, conn Conn) (*Session, error) {
	r, err := h.cfg.Store.GetRoom(ctx, roomID)
	if err != nil {
		return nil, err
	}
	banned, err := h.cfg.Store.IsBanned(ctx, roomID, j.PublicKey)
	if err != nil {
		return nil, err
	}
	returning, err := h.cfg.Store.IsMember(ctx, roomID, j.PublicKey)
	if err != nil {
		return nil, err
	}
	admitted := false
	for {
		c, err := h.call(roomID)
		if err != nil {
			return nil, err
		}
		s, err := c.join(r, room.Joiner{IsHost: r.IsHost(j.HostKey), Banned: banned, Returning: returning || admitted}, j, conn)
		if errors.Is(err, errCallStopped) {
			continue // the call emptied as we came in: start a new one
		}
		if err != nil {
			// A refused joiner leaves no empty call (and its router) behind.
			c.stopIfEmpty()
		}
		if errors.Is(err, room.ErrLocked) && j.Knock && !admitted {
			// A newcomer knocks instead: in when a host admits it.
			if err := h.waitKnock(ctx, roomID, j, conn); err != nil {
				return nil, err
			}
			admitted = true
			if r, err = h.cfg.Store.GetRoom(ctx, roomID); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if s.host {
			for _, k := range h.Knocks(roomID) {
				s.send(api.MsgKnock, k)
			}
		}
		if !returning {
			// Not undone by a knocker's connection closing: it is in.
			if err := h.cfg.Store.AddMember(context.WithoutCancel(ctx), roomID, j.PublicKey); err != nil {
				h.log.Warn("record member", "err", err)
			}
		}
		return s, nil
	}
}

// call returns the live call of roomID, starting it if needed.
func (h *Hub) call(roomID string) (*Call, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHubClosed
	}
	c := h.calls[roomID]
	if c == nil {
		c = newCall(h, roomID)
		h.calls[roomID] = c
	}
	return c, nil
}

// forget drops a call that has emptied or ended.
func (h *Hub) forget(c *Call) {
	h.mu.Lock()
	if h.calls[c.roomID] == c {
		delete(h.calls, c.roomID)
	}
	h.mu.Unlock()
}

func (h *Hub) lookup(roomID string) *Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[roomID]
}

// Count is how many people are in a room's call.
func (h *Hub) Count(roomID string) int {
	if c := h.lookup(roomID); c != nil {
		return c.count()
	}
	return 0
}

// Participants lists who is in a room's call.
func (h *Hub) Participants(roomID string) []api.Participant {
	if c := h.lookup(roomID); c != nil {
		return c.participants()
	}
	return []api.Participant{}
}

// RoomChanged tells a live call its room changed outside it (a host
// command from the CLI): everyone sees the change, or the end.
func (h *Hub) RoomChanged(r room.Room) {
	h.roomChangedKnocks(r)
	c := h.lookup(r.ID)
	if c == nil {
		return
	}
	if r.StateAt(h.cfg.Now()) == room.Ended {
		c.end("the host ended the room")
		return
	}
	c.roomUpdated(r)
}

// EndingSoon warns a room's call that its time runs out at endsAt.
func (h *Hub) EndingSoon(roomID string, endsAt time.Time) {
	if c := h.lookup(roomID); c != nil {
		c.broadcast("", api.MsgEnding, api.Ending{EndsAt: endsAt.UTC()})
	}
}

// Remove takes a participant (by id or display name) out of a room's call
// and bans its key, as the host did from outside the call.
func (h *Hub) Remove(ctx context.Context, roomID, who string) (api.Participant, error) {
	c := h.lookup(roomID)
	if c == nil {
		return api.Participant{}, ErrNoSuchParticipant
	}
	return c.remove(ctx, who, "")
}

// Close ends every call; used at shutdown.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	calls := make([]*Call, 0, len(h.calls))
	for _, c := range h.calls {
		calls = append(calls, c)
	}
	h.mu.Unlock()
	h.closeKnocks()
	for _, c := range calls {
		c.shutdown()
	}
}

// ErrNoSuchParticipant is returned when a remove names nobody in the call.
var ErrNoSuchParticipant = room.ErrNotInCall

// Stats counts live calls and the people in them, for metrics.
func (h *Hub) Stats() (calls, participants int) {
	h.mu.Lock()
	cs := make([]*Call, 0, len(h.calls))
	for _, c := range h.calls {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	for _, c := range cs {
		participants += c.count()
	}
	return len(cs), participants
}

// Live lists the rooms with a live call and how many people are in each,
// and the rooms someone knocks on (0 people, or the call's count): what a
// cluster node renews its leases of, so a knock keeps its room here.
func (h *Hub) Live() map[string]int {
	h.mu.Lock()
	cs := make([]*Call, 0, len(h.calls))
	for _, c := range h.calls {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	out := make(map[string]int, len(cs))
	h.door.mu.Lock()
	for id, ks := range h.door.rooms {
		if len(ks) > 0 {
			out[id] = 0
		}
	}
	h.door.mu.Unlock()
	for _, c := range cs {
		out[c.roomID] = c.count()
	}
	return out
}
