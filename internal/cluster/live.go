package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Live is the API's view of live calls across the cluster (api.Live): a
// call this node runs answers here; one another node runs is asked of
// that node (who is in it, remove, knocks), and a room change goes to
// every node by NOTIFY, so a lock, an edit or an end taken on any node
// reaches the call at once. Remove and the knocks are node-to-node calls
// rather than notifications because they answer: who was removed, or
// that nobody by that name is there.
type Live struct{ n *Node }

// Live returns the node's api.Live.
func (n *Node) Live() Live { return Live{n} }

// Count is how many people are in a room's call: this node's count, or
// the owner's as of the last heartbeat.
func (l Live) Count(roomID string) int {
	if c := l.n.cfg.Hub.Count(roomID); c > 0 {
		return c
	}
	if le, ok := (*l.n.leases.Load())[roomID]; ok && le.Node.ID != l.n.cfg.ID {
		return le.Participants
	}
	return 0
}

// remote is the owner of roomID when another node runs its call.
func (l Live) remote(ctx context.Context, roomID string) (store.Node, bool) {
	if l.n.cfg.Hub.Count(roomID) > 0 || len(l.n.cfg.Hub.Knocks(roomID)) > 0 {
		return store.Node{}, false
	}
	le, ok, err := l.n.owner(ctx, roomID)
	if err != nil {
		l.n.log.Warn("find a call's node", "room", room.LogID(roomID), "err", err)
		return store.Node{}, false
	}
	if !ok || le.Node.ID == l.n.cfg.ID {
		return store.Node{}, false
	}
	return le.Node, true
}

// Participants lists who is in a room's call.
func (l Live) Participants(roomID string) []api.Participant {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if owner, ok := l.remote(ctx, roomID); ok {
		var out rpcReply
		if err := l.n.call(ctx, owner, rpcRequest{Op: opParticipants, Room: roomID}, &out); err != nil {
			l.n.log.Warn("ask a call's node who is in it", "room", room.LogID(roomID), "owner", owner.ID, "err", err)
			return []api.Participant{}
		}
		if out.Participants == nil {
			return []api.Participant{}
		}
		return out.Participants
	}
	return l.n.cfg.Hub.Participants(roomID)
}

// RoomChanged tells this node's call and every other node's.
func (l Live) RoomChanged(r room.Room) {
	l.n.cfg.Hub.RoomChanged(r)
	l.n.notifyRoom("changed", r.ID)
}

// EndingSoon warns the room's call, wherever it runs.
func (l Live) EndingSoon(roomID string, endsAt time.Time) {
	l.n.cfg.Hub.EndingSoon(roomID, endsAt)
	l.n.notifyRoom("ending", roomID, fmt.Sprint(endsAt.UnixNano()))
}

// Remove takes someone out of the call, on the node that runs it.
func (l Live) Remove(ctx context.Context, roomID, who string) (api.Participant, error) {
	if owner, ok := l.remote(ctx, roomID); ok {
		var out rpcReply
		if err := l.n.call(ctx, owner, rpcRequest{Op: opRemove, Room: roomID, Who: who}, &out); err != nil {
			return api.Participant{}, err
		}
		return out.Participant, out.err()
	}
	return l.n.cfg.Hub.Remove(ctx, roomID, who)
}

// Knocks lists who knocks on the door, on the node the knockers wait at.
func (l Live) Knocks(roomID string) []api.Knock {
	if ks := l.n.cfg.Hub.Knocks(roomID); len(ks) > 0 {
		return ks
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if owner, ok := l.remote(ctx, roomID); ok {
		var out rpcReply
		if err := l.n.call(ctx, owner, rpcRequest{Op: opKnocks, Room: roomID}, &out); err == nil && out.Knocks != nil {
			return out.Knocks
		}
	}
	return []api.Knock{}
}

// AnswerKnock admits or declines a knock where it waits.
func (l Live) AnswerKnock(ctx context.Context, roomID, who string, admit bool) (api.Knock, error) {
	if len(l.n.cfg.Hub.Knocks(roomID)) == 0 {
		if owner, ok := l.remote(ctx, roomID); ok {
			var out rpcReply
			if err := l.n.call(ctx, owner, rpcRequest{Op: opAnswer, Room: roomID, Who: who, Admit: admit}, &out); err != nil {
				return api.Knock{}, err
			}
			return out.Knock, out.err()
		}
	}
	return l.n.cfg.Hub.AnswerKnock(ctx, roomID, who, admit)
}

// The node-to-node calls: one POST to RPCPath with a signed request.
const RPCPath = "/node/v1/live"

const (
	opParticipants = "participants"
	opRemove       = "remove"
	opKnocks       = "knocks"
	opAnswer       = "answer_knock"
)

type rpcRequest struct {
	Op    string `json:"op"`
	Room  string `json:"room"`
	Who   string `json:"who,omitempty"`
	Admit bool   `json:"admit,omitempty"`
}

type rpcReply struct {
	Participants []api.Participant `json:"participants,omitempty"`
	Participant  api.Participant   `json:"participant"`
	Knocks       []api.Knock       `json:"knocks,omitempty"`
	Knock        api.Knock         `json:"knock"`
	// Err is the kind of error (errNotInCall, errNoKnock) and Message its
	// text, for the API to answer as it would on one node.
	Err     string `json:"err,omitempty"`
	Message string `json:"message,omitempty"`
}

const (
	errKindNotInCall = "not_in_call"
	errKindNoKnock   = "no_knock"
	errKindForbidden = "forbidden"
	errKindOther     = "other"
)

// remoteError is an error the owner answered, keeping its text and kind.
type remoteError struct {
	msg  string
	kind error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.kind }

func (r rpcReply) err() error {
	switch r.Err {
	case "":
		return nil
	case errKindNotInCall:
		return &remoteError{msg: r.Message, kind: room.ErrNotInCall}
	case errKindNoKnock:
		return &remoteError{msg: r.Message, kind: room.ErrNoKnock}
	case errKindForbidden:
		return &remoteError{msg: r.Message, kind: room.ErrForbidden}
	default:
		return fmt.Errorf("the node running the call: %s", r.Message)
	}
}

// call makes a signed node-to-node call to owner.
func (n *Node) call(ctx context.Context, owner store.Node, req rpcRequest, out *rpcReply) error {
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(owner.URL, "/")+RPCPath, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("call node %s: %w", owner.ID, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	n.sign.sign(hr.Header, http.MethodPost, hr.URL.Path)
	resp, err := n.client.Do(hr)
	if err != nil {
		return fmt.Errorf("call node %s: %w", owner.ID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("call node %s: HTTP %d", owner.ID, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(out); err != nil {
		return fmt.Errorf("call node %s: read the answer: %w", owner.ID, err)
	}
	return nil
}

// Handler serves the node-to-node calls at RPCPath; anything not signed
// with the cluster secret is refused.
func (n *Node) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeProblem(w, http.StatusMethodNotAllowed, api.CodeInvalidArgument, "node-to-node calls are POSTs")
			return
		}
		if _, err := n.sign.verify(r); err != nil {
			writeProblem(w, http.StatusForbidden, api.CodeForbidden, "this is for the cluster's nodes alone: "+err.Error())
			return
		}
		var req rpcRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil || !room.ValidID(req.Room) {
			writeProblem(w, http.StatusBadRequest, api.CodeInvalidArgument, "a node-to-node call is a JSON object with an op and a room")
			return
		}
		var out rpcReply
		var err error
		hub := n.cfg.Hub
		switch req.Op {
		case opParticipants:
			out.Participants = hub.Participants(req.Room)
		case opRemove:
			out.Participant, err = hub.Remove(r.Context(), req.Room, req.Who)
		case opKnocks:
			out.Knocks = hub.Knocks(req.Room)
		case opAnswer:
			out.Knock, err = hub.AnswerKnock(r.Context(), req.Room, req.Who, req.Admit)
		default:
			writeProblem(w, http.StatusBadRequest, api.CodeInvalidArgument, "unknown op "+req.Op)
			return
		}
		if err != nil {
			out.Message = err.Error()
			switch {
			case errors.Is(err, room.ErrNotInCall):
				out.Err = errKindNotInCall
			case errors.Is(err, room.ErrNoKnock):
				out.Err = errKindNoKnock
			case errors.Is(err, room.ErrForbidden):
				out.Err = errKindForbidden
			default:
				out.Err = errKindOther
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}
