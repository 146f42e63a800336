package call

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/rooms-dev/rooms/internal/audit"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Session is one participant in a call.
type Session struct {
	call     *Call
	id       string
	name     string
	pubKey   string
	addr     string
	host     bool
	joinedAt time.Time
	conn     Conn
	chat     *rate.Limiter

	mu       sync.Mutex
	peer     Peer
	muted    api.Muted
	speaking bool
	tracks   map[string]api.Track
	grace    *time.Timer
	finished bool
}

func newSession(c *Call, id string, j Joiner, host bool, conn Conn, now time.Time) *Session {
	return &Session{
		call: c, id: id, name: j.Name, pubKey: j.PublicKey, addr: j.Addr, host: host, joinedAt: now, conn: conn,
		chat:   rate.NewLimiter(rate.Limit(float64(api.ChatPerMinute)/60), 5),
		tracks: map[string]api.Track{},
	}
}

// ID is the participant id.
func (s *Session) ID() string { return s.id }

// Host says whether the participant holds the room's host key.
func (s *Session) Host() bool { return s.host }

func (s *Session) info() api.Participant {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := api.Participant{ID: s.id, Name: s.name, Host: s.host, JoinedAt: s.joinedAt, Muted: s.muted, Speaking: s.speaking}
	for _, t := range s.tracks {
		p.Tracks = append(p.Tracks, t)
	}
	return p
}

func (s *Session) setPeer(p Peer) {
	s.mu.Lock()
	s.peer = p
	s.mu.Unlock()
}

func (s *Session) getPeer() Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer
}

func (s *Session) addTrack(t api.Track) {
	s.mu.Lock()
	s.tracks[t.ID] = t
	s.mu.Unlock()
}

func (s *Session) removeTrack(id string) {
	s.mu.Lock()
	delete(s.tracks, id)
	s.mu.Unlock()
}

func (s *Session) send(t api.MessageType, v any) {
	msg, err := api.Encode(t, v)
	if err != nil {
		return
	}
	s.conn.Send(msg)
}

func (s *Session) sendError(code api.Code, format string, args ...any) {
	s.send(api.MsgError, api.SignalError{Code: code, Message: fmt.Sprintf(format, args...)})
}

// SendSDP is how the router sends this participant SDP: answers on its
// publish connection, offers on its subscribe one.
func (s *Session) SendSDP(sdp api.SDP) {
	t := api.MsgOffer
	if sdp.PC == api.PCPublish {
		t = api.MsgAnswer
	}
	s.send(t, sdp)
}

// SendCandidate sends this participant a candidate of ours.
func (s *Session) SendCandidate(c api.Candidate) { s.send(api.MsgCandidate, c) }

// SendLayers tells this participant which layers of its simulcast track
// somebody receives.
func (s *Session) SendLayers(l api.Layers) { s.send(api.MsgLayers, l) }

// SendBandwidth tells this participant which of the others' video tracks
// are paused for its downlink.
func (s *Session) SendBandwidth(b api.Bandwidth) { s.send(api.MsgBandwidth, b) }

// Handle acts on one message from the participant. Errors it returns are
// the transport's to report; refusals are sent as error messages.
func (s *Session) Handle(ctx context.Context, m api.Message) error {
	switch m.Type {
	case api.MsgOffer, api.MsgAnswer:
		return s.handleSDP(m)
	case api.MsgCandidate:
		return s.handleCandidate(m)
	case api.MsgMute:
		return s.handleMute(m)
	case api.MsgChat:
		return s.handleChat(m)
	case api.MsgHost:
		var a api.HostAction
		if err := json.Unmarshal(m.Data, &a); err != nil {
			return fmt.Errorf("read host action: %w", err)
		}
		s.hostAction(ctx, a)
		return nil
	case api.MsgView:
		return s.handleView(m)
	case api.MsgRestartICE:
		return s.handleRestartICE(m)
	case api.MsgPing:
		s.send(api.MsgPong, nil)
		return nil
	case api.MsgLeave:
		s.Leave("left")
		return nil
	}
	s.sendError(api.CodeInvalidArgument, "unknown message type %q", m.Type)
	return nil
}

// handleSDP hands an offer (publish) or an answer (subscribe) to the
// participant's peer.
func (s *Session) handleSDP(m api.Message) error {
	var sdp api.SDP
	if err := json.Unmarshal(m.Data, &sdp); err != nil {
		return fmt.Errorf("read %s: %w", m.Type, err)
	}
	peer := s.getPeer()
	if peer == nil {
		return fmt.Errorf("%s before joining", m.Type)
	}
	handle := peer.HandleAnswer
	if m.Type == api.MsgOffer {
		handle = peer.HandleOffer
	}
	return s.refused(handle(sdp))
}

func (s *Session) handleCandidate(m api.Message) error {
	var c api.Candidate
	if err := json.Unmarshal(m.Data, &c); err != nil {
		return fmt.Errorf("read candidate: %w", err)
	}
	if peer := s.getPeer(); peer != nil {
		// Refused candidates are not reported (docs/protocol.md).
		if err := peer.HandleCandidate(c); err != nil {
			s.call.log.Debug("candidate", "participant", s.id, "err", err)
		}
	}
	return nil
}

// handleMute records the participant's own mute and tells the others.
func (s *Session) handleMute(m api.Message) error {
	var mu api.Mute
	if err := json.Unmarshal(m.Data, &mu); err != nil {
		return fmt.Errorf("read mute: %w", err)
	}
	s.mu.Lock()
	switch mu.Kind {
	case api.KindAudio:
		s.muted.Audio = mu.Muted
	case api.KindVideo:
		s.muted.Video = mu.Muted
	default:
		s.mu.Unlock()
		s.sendError(api.CodeInvalidArgument, "mute is for audio or video, not %q", mu.Kind)
		return nil
	}
	s.mu.Unlock()
	mu.ParticipantID = s.id
	s.call.broadcast(s.id, api.MsgMute, mu)
	return nil
}

// handleChat relays a chat message to everyone, within its bounds.
func (s *Session) handleChat(m api.Message) error {
	var ch api.Chat
	if err := json.Unmarshal(m.Data, &ch); err != nil {
		return fmt.Errorf("read chat: %w", err)
	}
	text := chatText(ch.Text)
	switch {
	case text == "":
		return nil
	case utf8.RuneCountInString(text) > api.MaxChatRunes || !utf8.ValidString(text):
		s.sendError(api.CodeTooLarge, "chat messages are at most %d characters", api.MaxChatRunes)
		return nil
	case !s.chat.Allow():
		s.sendError(api.CodeRateLimited, "too many chat messages; wait a moment")
		return nil
	}
	s.call.broadcast("", api.MsgChat, api.Chat{From: s.id, Name: s.name, Text: text, At: s.call.hub.cfg.Now().UTC()})
	return nil
}

// handleView passes the videos the participant does not show, and the
// sizes it draws the others at, to its peer, within their bound.
func (s *Session) handleView(m api.Message) error {
	var v api.View
	if err := json.Unmarshal(m.Data, &v); err != nil {
		return fmt.Errorf("read view: %w", err)
	}
	if len(v.Hidden) > api.MaxViewTracks || len(v.Sizes) > api.MaxViewTracks {
		s.sendError(api.CodeTooLarge, "a view hides and sizes at most %d tracks each", api.MaxViewTracks)
		return nil
	}
	if peer := s.getPeer(); peer != nil {
		peer.SetView(v.Hidden, v.Sizes)
	}
	return nil
}

// refused sends a refusal for what an offer or answer would cost as
// an error with its code, closing the connection when it is fatal;
// other errors go back to the transport.
func (s *Session) refused(err error) error {
	var r *sfu.Refusal
	if !errors.As(err, &r) {
		return err
	}
	s.call.log.Info("signalling refused", "participant", s.id, "code", r.Code, "err", r.Msg)
	s.send(api.MsgError, api.SignalError{Code: r.Code, Message: r.Msg, Fatal: r.Fatal})
	if r.Fatal {
		s.conn.Close(r.Msg)
	}
	return nil
}

// hostAction does what the host asked, if this participant is the host.
func (s *Session) hostAction(ctx context.Context, a api.HostAction) {
	act := room.Action(a.Action)
	switch act {
	case room.ActRemove, room.ActEnd, room.ActLock, room.ActUnlock, room.ActHide, room.ActUnhide, room.ActAdmit, room.ActDeny:
	default:
		s.sendError(api.CodeInvalidArgument, "unknown host action %q (there is no way to mute someone else)", a.Action)
		return
	}
	if err := room.Authorize(act, s.host); err != nil {
		s.sendError(api.CodeForbidden, "only the room's host may %s", a.Action)
		return
	}
	c := s.call
	h := c.hub
	var change room.Change
	yes, no := true, false
	priv, pub := room.Private, room.Public
	switch act {
	case room.ActRemove:
		p, err := c.remove(ctx, a.ParticipantID, s.id)
		if err != nil {
			code, msg := Code(err)
			s.sendError(code, "%s", msg)
			return
		}
		s.audit(ctx, act, p.ID)
		return
	case room.ActAdmit, room.ActDeny:
		k, err := h.AnswerKnock(ctx, c.roomID, a.KnockID, act == room.ActAdmit)
		if err != nil {
			code, msg := Code(err)
			s.sendError(code, "%s", msg)
			return
		}
		s.audit(ctx, act, k.ID)
		return
	case room.ActEnd:
		r, err := h.cfg.Store.UpdateRoom(ctx, c.roomID, func(r *room.Room) error { return room.End(r, h.cfg.Now()) })
		if err != nil {
			code, msg := Code(err)
			s.sendError(code, "%s", msg)
			return
		}
		s.audit(ctx, act, "")
		h.RoomChanged(r)
		return
	case room.ActLock:
		change.Locked = &yes
	case room.ActUnlock:
		change.Locked = &no
	case room.ActHide:
		change.Visibility = &priv
	case room.ActUnhide:
		change.Visibility = &pub
	default:
		s.sendError(api.CodeInvalidArgument, "unknown host action %q", a.Action)
		return
	}
	lim := room.Limits{MaxCapacity: h.cfg.MaxParticipants, MaxScreenShares: h.cfg.MaxScreenShares}
	r, err := h.cfg.Store.UpdateRoom(ctx, c.roomID, func(r *room.Room) error {
		return room.Apply(r, change, lim, h.cfg.Now())
	})
	if err != nil {
		code, msg := Code(err)
		s.sendError(code, "%s", msg)
		return
	}
	s.audit(ctx, act, "")
	h.RoomChanged(r)
}

// audit writes the audit line of a host action this participant did.
func (s *Session) audit(ctx context.Context, act room.Action, target string) {
	audit.Log(ctx, s.call.hub.log, audit.Entry{Action: string(act), Room: s.call.roomID,
		Actor: audit.KeyActor(s.pubKey), Target: target, Addr: s.addr, Via: audit.ViaCall})
}

// Leave takes the participant out of the call.
func (s *Session) Leave(reason string) {
	s.call.leave(s, reason)
	s.finish(reason)
}

// Disconnected starts the grace period after the transport dropped: the
// participant keeps its place until it rejoins or the time runs out.
func (s *Session) Disconnected() {
	s.mu.Lock()
	if s.finished || s.grace != nil {
		s.mu.Unlock()
		return
	}
	s.grace = time.AfterFunc(s.call.hub.cfg.Grace, func() { s.Leave("disconnected") })
	s.mu.Unlock()
}

// replaced ends this session because the same client joined again: it
// is told not to reconnect, or two clients with one key would take turns
// throwing each other out.
func (s *Session) replaced() {
	s.send(api.MsgError, api.SignalError{Code: api.CodeReplaced, Fatal: true,
		Message: "you joined this call again from another connection; this one is closed"})
	s.finish("replaced by a new connection")
}

// finish stops the session's timer and closes its transport.
func (s *Session) finish(reason string) {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.finished = true
	if s.grace != nil {
		s.grace.Stop()
	}
	s.mu.Unlock()
	s.conn.Close(reason)
}

// chatText is a chat message as the server relays it: the characters no
// screen should show from someone else (controls, C1, bidirectional
// controls, invisible format characters, invalid UTF-8) dropped by the
// rules every client and the server share (safetext), line breaks kept as
// "\n" (a browser shows the message in a block of its own; a terminal
// shows it on one line with a separator), spaces at the ends trimmed.
func chatText(raw string) string {
	return strings.TrimSpace(safetext.Text(raw))
}
