package call

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/pkg/api"
)

// errCallStopped makes a join that raced with the call's end start a new call.
var errCallStopped = errors.New("call stopped")

// Call is the live call of one room.
type Call struct {
	hub    *Hub
	roomID string
	router Router
	log    *slog.Logger

	// timeUp ends the call when the room's duration runs out.
	timeUp *time.Timer

	mu sync.Mutex
	// sharers counts, by participant id, the screens each shares now: the
	// slot stays taken while any of them lives (a reconnect overlaps the
	// old screen with the new one for a moment).
	sharers map[string]int
	active  string // the active speaker: who last started speaking
	room    room.Room
	parts   map[string]*Session
	stopped bool
}

func newCall(h *Hub, roomID string) *Call {
	c := &Call{hub: h, roomID: roomID, parts: map[string]*Session{}, sharers: map[string]int{}, log: h.log.With("room", room.LogID(roomID))}
	c.router = h.cfg.Media.NewRouter(room.LogID(roomID), c)
	return c
}

func newParticipantID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "p" + hex.EncodeToString(b)
}

// join lets j into the call if room.Admit does (see admit), which sends
// it joined, then connects its media; a rejoin by the same key replaces
// the old session and its media, and the others are not told of it.
func (c *Call) join(r room.Room, who room.Joiner, j Joiner, conn Conn) (*Session, error) {
	s, old, err := c.admit(r, who, j, conn)
	if err != nil {
		return nil, err
	}
	if old != nil {
		// The same client is back (a dropped connection): its old media
		// connections go, its place stays.
		old.replaced()
		c.router.RemovePeer(s.id)
	}
	peer, err := c.router.AddPeer(s.id, s)
	if err != nil {
		// The others were told of s (or knew it, before a rejoin).
		c.leave(s, "disconnected")
		return nil, fmt.Errorf("join the media of the call: %w", err)
	}
	s.setPeer(peer)
	c.log.Info("participant joined", "participant", s.id, "host", s.host, "rejoin", old != nil)
	return s, nil
}

// admit decides by room.Admit, under the call's lock, whether j may come
// in, and if so puts its session among the participants: a session of
// the same key already here is old, whose id and mute the new one takes
// (it counts as returning, whatever the lock says). Still under the lock
// it sends s joined, with the rest of the call, and tells the rest of s
// (not of a rejoin): whoever is admitted after s learns of it from its
// own joined, whoever before from a participant_joined that comes after
// its joined, because no message reaches a session before its joined.
// Sent after the lock, a participant_joined could overtake a newcomer's
// joined, and the client, which reads nothing before its joined, would
// never learn the other's name.
func (c *Call) admit(r room.Room, who room.Joiner, j Joiner, conn Conn) (s, old *Session, err error) {
	now := c.hub.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil, nil, errCallStopped
	}
	for _, p := range c.parts {
		if p.pubKey == j.PublicKey {
			old = p
		}
	}
	count := len(c.parts)
	if old != nil {
		count--
	}
	// Someone already in the call (a second connection of the same key)
	// is back, whatever the lock says.
	who.Returning = who.Returning || old != nil
	if err := room.Admit(r, who, count, now); err != nil {
		return nil, nil, err
	}
	id := newParticipantID()
	if old != nil {
		id = old.id
	}
	if c.timeUp == nil && !r.EndsAt().IsZero() {
		c.timeUp = time.AfterFunc(r.EndsAt().Sub(now), func() { c.end("the room's time is up") })
	}
	s = newSession(c, id, j, who.IsHost, conn, now)
	if old != nil {
		s.muted = old.info().Muted
	}
	c.parts[id] = s
	// r was read before the join got here: a host edit that reached the
	// call in between (a new screen cap) must not be undone.
	if !r.UpdatedAt.Before(c.room.UpdatedAt) {
		c.room = r
	}
	others := make([]api.Participant, 0, len(c.parts))
	for pid, p := range c.parts {
		if pid != id {
			others = append(others, p.info())
		}
	}
	joined := api.Joined{You: s.info(), Room: c.hub.wire.Render(c.room, now, len(c.parts)), Participants: others}
	if c.hub.cfg.ICEServers != nil {
		joined.ICEServers = c.hub.cfg.ICEServers(id)
	}
	s.send(api.MsgJoined, joined)
	if old == nil {
		c.sendOthers(id, api.MsgParticipantJoined, s.info())
	}
	return s, old, nil
}

// leave takes s out of the call, if it is still the session for its id,
// and tells the others why (under the lock, so a joiner either finds s in
// its joined and hears it leave, or neither).
func (c *Call) leave(s *Session, reason string) {
	c.mu.Lock()
	if c.parts[s.id] != s {
		c.mu.Unlock()
		return
	}
	delete(c.parts, s.id)
	delete(c.sharers, s.id) // the slot is free at once
	c.sendOthers(s.id, api.MsgParticipantLeft, api.ParticipantLeft{ID: s.id, Reason: reason})
	c.mu.Unlock()
	c.router.RemovePeer(s.id)
	c.log.Info("participant left", "participant", s.id, "reason", reason)
	c.stopIfEmpty()
}

func (c *Call) stopIfEmpty() {
	c.mu.Lock()
	if len(c.parts) > 0 || c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	if c.timeUp != nil {
		c.timeUp.Stop()
	}
	c.mu.Unlock()
	c.hub.forget(c)
	c.router.Close()
}

func (c *Call) sessions() []*Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*Session, 0, len(c.parts))
	for _, s := range c.parts {
		out = append(out, s)
	}
	return out
}

func (c *Call) session(id string) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parts[id]
}

func (c *Call) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.parts)
}

func (c *Call) participants() []api.Participant {
	out := []api.Participant{}
	for _, s := range c.sessions() {
		out = append(out, s.info())
	}
	return out
}

// broadcast sends a message to everyone but except ("" for everyone).
func (c *Call) broadcast(except string, t api.MessageType, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendOthers(except, t, v)
}

// sendOthers is broadcast with c.mu held. Sends only queue, so holding
// the lock costs an encoding and a channel send per participant, and it
// orders the message with every join (see admit).
func (c *Call) sendOthers(except string, t api.MessageType, v any) {
	msg, err := api.Encode(t, v)
	if err != nil {
		c.log.Error("encode", "type", t, "err", err)
		return
	}
	for id, s := range c.parts {
		if id != except {
			s.conn.Send(msg)
		}
	}
}

func (c *Call) roomUpdated(r room.Room) {
	c.mu.Lock()
	c.room = r
	// An edited duration moves the end of the call with it.
	if c.timeUp != nil {
		c.timeUp.Stop()
		c.timeUp = nil
	}
	if end := r.EndsAt(); !end.IsZero() && !c.stopped {
		c.timeUp = time.AfterFunc(end.Sub(c.hub.cfg.Now()), func() { c.end("the room's time is up") })
	}
	c.mu.Unlock()
	c.broadcast("", api.MsgRoomUpdated, c.render(r))
}

// render is r as clients see it, with the people in this call.
func (c *Call) render(r room.Room) api.Room {
	return c.hub.wire.Render(r, c.hub.cfg.Now(), c.count())
}

// stop marks the call stopped (no join gets in after), stops its timer
// and takes its participants out, under the lock; ok is false when it
// was stopped already (its participants were taken then).
func (c *Call) stop() (parts map[string]*Session, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil, false
	}
	c.stopped = true
	if c.timeUp != nil {
		c.timeUp.Stop()
	}
	parts = c.parts
	c.parts = map[string]*Session{}
	return parts, true
}

// end tells everyone the room ended and closes the call.
func (c *Call) end(reason string) {
	parts, ok := c.stop()
	if !ok {
		return
	}
	c.hub.forget(c)
	msg, _ := api.Encode(api.MsgEnded, api.Ended{Reason: reason})
	for _, s := range parts {
		s.conn.Send(msg)
		s.finish(reason)
	}
	c.router.Close()
	c.log.Info("call ended", "reason", reason)
}

// shutdown closes the call when the server stops; clients see the
// connection close and reconnect to the restarted server.
func (c *Call) shutdown() {
	parts, _ := c.stop()
	for _, s := range parts {
		s.finish("the server is restarting")
	}
	c.router.Close()
}

// remove takes someone out for good, as the host: banned by key,
// told why, disconnected, and the others told.
// by, when set, is the participant asking, who cannot remove themselves.
func (c *Call) remove(ctx context.Context, who, by string) (api.Participant, error) {
	var target *Session
	for _, s := range c.sessions() {
		if s.id == who || s.name == who {
			if target != nil && target.id != who {
				return api.Participant{}, fmt.Errorf("%w: more than one person is called %q; use their id (rooms who)", ErrNoSuchParticipant, who)
			}
			target = s
		}
	}
	if target == nil {
		return api.Participant{}, ErrNoSuchParticipant
	}
	if target.id == by || target.host {
		return api.Participant{}, fmt.Errorf("%w: the host cannot be removed; to go, leave the call", room.ErrForbidden)
	}
	if err := c.hub.cfg.Store.Ban(ctx, c.roomID, target.pubKey, target.name); err != nil {
		return api.Participant{}, fmt.Errorf("ban %s: %w", target.id, err)
	}
	info := target.info()
	c.log.Info("participant removed", "participant", target.id)
	target.send(api.MsgRemoved, api.Removed{Reason: "you were removed by the host"})
	c.leave(target, "removed")
	target.finish("removed by the host")
	return info, nil
}

// Events from the router.

// TrackPublished records a track and tells everyone else.
func (c *Call) TrackPublished(t api.Track) {
	if s := c.session(t.ParticipantID); s != nil {
		s.addTrack(t)
	}
	c.broadcast(t.ParticipantID, api.MsgTrackPublished, t)
}

// AllowTrack lets a screen through only while the room has fewer sharers
// than its limit; the refused sharer is told who is sharing. The limit is
// the server's cap, or the room's when lower, read at each attempt so a
// host's edit counts from the next one; those already sharing go on.
func (c *Call) AllowTrack(peerID string, kind api.TrackKind) bool {
	if kind != api.KindScreen {
		return true
	}
	c.mu.Lock()
	limit := c.room.ScreenShareCap(c.hub.cfg.MaxScreenShares)
	if c.sharers[peerID] > 0 || len(c.sharers) < limit {
		c.sharers[peerID]++
		c.mu.Unlock()
		return true
	}
	var names []string
	for id := range c.sharers {
		if p := c.parts[id]; p != nil {
			names = append(names, p.name)
		}
	}
	s := c.parts[peerID]
	c.mu.Unlock()
	sort.Strings(names)
	if s != nil {
		s.send(api.MsgError, api.SignalError{Code: api.CodeScreenShareLimit, Sharers: names, Message: screenLimitMessage(limit, names)})
	}
	return false
}

// screenLimitMessage tells a refused sharer the limit and who holds it.
// With a room's own cap a limit of one is common, so it reads right in the
// singular too; after a host lowered the cap there may be more sharers
// than the limit.
func screenLimitMessage(limit int, names []string) string {
	unit := "screens"
	if limit == 1 {
		unit = "screen"
	}
	switch len(names) {
	case 0:
		return fmt.Sprintf("this room shows at most %d shared %s at once; share again when one stops", limit, unit)
	case 1:
		return fmt.Sprintf("this room shows at most %d shared %s at once and %s is sharing; ask them to stop", limit, unit, names[0])
	}
	return fmt.Sprintf("this room shows at most %d shared %s at once and %s are sharing; ask one of them to stop", limit, unit, strings.Join(names, ", "))
}

// TrackUnpublished forgets a track and tells everyone else.
func (c *Call) TrackUnpublished(t api.Track) {
	if t.Kind == api.KindScreen {
		c.mu.Lock()
		if c.sharers[t.ParticipantID]--; c.sharers[t.ParticipantID] <= 0 {
			delete(c.sharers, t.ParticipantID)
		}
		c.mu.Unlock()
	}
	if s := c.session(t.ParticipantID); s != nil {
		s.removeTrack(t.ID)
	}
	c.broadcast(t.ParticipantID, api.MsgTrackUnpublished, t)
}

// PeerFailed drops the signalling of a participant whose media failed
// (ICE gave up, or it never answered an offer): its client reconnects
// with fresh connections and keeps its place, as after a network drop.
func (c *Call) PeerFailed(peerID string) {
	c.log.Info("media connection failed", "participant", peerID)
	if s := c.session(peerID); s != nil {
		s.conn.Close(api.CloseMediaFailed)
	}
}

// Speaking tells everyone who speaks; whoever starts speaking becomes the
// active speaker, the one clients put in the spotlight.
func (c *Call) Speaking(peerID string, speaking bool) {
	if s := c.session(peerID); s != nil {
		s.mu.Lock()
		s.speaking = speaking
		s.mu.Unlock()
	}
	c.mu.Lock()
	if speaking {
		c.active = peerID
	}
	active := c.active == peerID
	c.mu.Unlock()
	c.broadcast("", api.MsgSpeaking, api.Speaking{ParticipantID: peerID, Speaking: speaking, Active: active})
}
