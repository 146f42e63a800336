package call

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Knock to enter: a newcomer to a locked room may knock instead of being
// refused; the hosts see the knock and admit or decline it. Knocks live in
// the hub, not in a call, so a host can answer from the CLI while nobody
// is in the call.

// Why a knock could not go on.
var (
	ErrKnockDeclined    = errors.New("the host declined your knock; you cannot knock on this room again")
	ErrKnockTimeout     = errors.New("nobody answered your knock")
	ErrKnocksFull       = errors.New("too many people are knocking on this room already; try again in a few minutes")
	ErrKnockRateLimited = errors.New("too many knocks from your address; wait a minute")
	ErrNoSuchKnock      = room.ErrNoKnock
	errKnockReplaced    = errors.New("you knocked again from another connection; this one is closed")
)

// maxKnockAddrs bounds the addresses the knock limiter remembers; past it
// the limiter starts afresh (generous, never unsafe).
const maxKnockAddrs = 10000

// declinedKey is the key a declined knock is recorded under in the
// room's bans: a declined key may not knock again, but it is not banned
// from the room (if the host unlocks it, it may join like anyone).
func declinedKey(publicKey string) string { return "knock:" + publicKey }

type knockOutcome int

const (
	outcomeAdmitted knockOutcome = iota + 1
	outcomeDeclined
	outcomeReplaced
	outcomeEnded
	outcomeShutdown
)

// knock is one knocker waiting. answer is written once, by whoever took
// the knock off the door's list.
type knock struct {
	info   api.Knock
	pubKey string
	answer chan knockOutcome
}

// door keeps a hub's waiting knocks, by room, oldest first, and the
// knocks each client address may still make.
type door struct {
	mu     sync.Mutex
	rooms  map[string][]*knock
	limits map[string]*rate.Limiter
}

// allow takes a knock from addr's allowance.
func (d *door) allow(addr string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.limits == nil || len(d.limits) >= maxKnockAddrs {
		d.limits = map[string]*rate.Limiter{}
	}
	l := d.limits[addr]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(float64(api.KnocksPerMinute)/60), api.KnockBurst)
		d.limits[addr] = l
	}
	return l.AllowN(now, 1)
}

// add puts a knock at roomID's door. The same key knocking again replaces
// its earlier knock, keeping its id and place (the hosts see one entry per
// key); the earlier one is returned, taken off the list.
func (d *door) add(roomID string, j Joiner, now time.Time) (k, old *knock, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rooms == nil {
		d.rooms = map[string][]*knock{}
	}
	list := d.rooms[roomID]
	k = &knock{info: api.Knock{Name: j.Name, At: now.UTC()}, pubKey: j.PublicKey, answer: make(chan knockOutcome, 1)}
	for i, w := range list {
		if w.pubKey == j.PublicKey {
			k.info.ID, k.info.At = w.info.ID, w.info.At
			list[i] = k
			return k, w, nil
		}
	}
	if len(list) >= api.MaxKnocksWaiting {
		return nil, nil, ErrKnocksFull
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	k.info.ID = "k" + hex.EncodeToString(b)
	d.rooms[roomID] = append(list, k)
	return k, nil, nil
}

// take removes k from roomID's door; false means someone else took it
// (and answers it).
func (d *door) take(roomID string, k *knock) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	list := d.rooms[roomID]
	for i, w := range list {
		if w == k {
			d.rooms[roomID] = append(list[:i:i], list[i+1:]...)
			if len(d.rooms[roomID]) == 0 {
				delete(d.rooms, roomID)
			}
			return true
		}
	}
	return false
}

// find returns the knock at roomID's door with id who, or else the one
// whose knocker is called who.
func (d *door) find(roomID, who string) (*knock, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var found *knock
	for _, k := range d.rooms[roomID] {
		if k.info.ID == who {
			return k, nil
		}
		if k.info.Name == who {
			if found != nil {
				return nil, fmt.Errorf("%w: more than one person knocking is called %q; use the knock's id (rooms knocks)", ErrNoSuchKnock, who)
			}
			found = k
		}
	}
	if found == nil {
		return nil, ErrNoSuchKnock
	}
	return found, nil
}

// list is who knocks on roomID, oldest first.
func (d *door) list(roomID string) []api.Knock {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]api.Knock, 0, len(d.rooms[roomID]))
	for _, k := range d.rooms[roomID] {
		out = append(out, k.info)
	}
	return out
}

// takeAll empties roomID's door ("" for every room's).
func (d *door) takeAll(roomID string) map[string][]*knock {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string][]*knock{}
	for id, list := range d.rooms {
		if roomID == "" || id == roomID {
			out[id] = list
			delete(d.rooms, id)
		}
	}
	return out
}

// waitKnock knocks on roomID's door for j and waits for the answer, the
// time limit, or ctx (the knocker went away). nil means admitted.
func (h *Hub) waitKnock(ctx context.Context, roomID string, j Joiner, conn Conn) error {
	now := h.cfg.Now()
	if !h.door.allow(j.Addr, now) {
		return ErrKnockRateLimited
	}
	declined, err := h.cfg.Store.IsBanned(ctx, roomID, declinedKey(j.PublicKey))
	if err != nil {
		return err
	}
	if declined {
		return ErrKnockDeclined
	}
	k, old, err := h.door.add(roomID, j, now)
	if err != nil {
		return err
	}
	if old != nil {
		old.answer <- outcomeReplaced
	}
	wait := h.cfg.KnockWait
	conn.Send(mustEncode(api.MsgKnocking, api.Knocking{ID: k.info.ID, ExpiresAt: now.Add(wait).UTC(),
		Message: "the room is locked; the host has been asked to let you in"}))
	if old == nil {
		h.toHosts(roomID, api.MsgKnock, k.info)
	}
	h.log.Info("knock", "room", room.LogID(roomID), "knock", k.info.ID)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var reason string
	var cause error
	select {
	case o := <-k.answer:
		return outcomeErr(o)
	case <-ctx.Done():
		reason, cause = api.KnockLeft, fmt.Errorf("knocker went away: %w", ctx.Err())
	case <-timer.C:
		reason, cause = api.KnockTimedOut, fmt.Errorf("%w within %s; try again later, or ask the host to unlock the room", ErrKnockTimeout, waitText(wait))
	}
	if !h.door.take(roomID, k) {
		return outcomeErr(<-k.answer) // answered at the same moment
	}
	h.toHosts(roomID, api.MsgKnockEnded, api.KnockEnded{ID: k.info.ID, Reason: reason})
	return cause
}

// waitText says a knock's wait for people: "5 minutes".
func waitText(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.String()
}

func outcomeErr(o knockOutcome) error {
	switch o {
	case outcomeAdmitted:
		return nil
	case outcomeDeclined:
		return ErrKnockDeclined
	case outcomeReplaced:
		return errKnockReplaced
	case outcomeEnded:
		return room.ErrEnded
	}
	return ErrHubClosed
}

// Knocks lists who knocks on roomID's door, oldest first.
func (h *Hub) Knocks(roomID string) []api.Knock { return h.door.list(roomID) }

// AnswerKnock admits or declines the knock on roomID's door with id (or
// knocker's name) who, as the host. A declined key cannot knock on this
// room again.
func (h *Hub) AnswerKnock(ctx context.Context, roomID, who string, admit bool) (api.Knock, error) {
	k, err := h.door.find(roomID, who)
	if err != nil {
		return api.Knock{}, err
	}
	o, reason := outcomeAdmitted, api.KnockAdmitted
	if !admit {
		o, reason = outcomeDeclined, api.KnockDeclined
		// Recorded before the knocker is told, so it cannot knock again
		// in between.
		if err := h.cfg.Store.Ban(ctx, roomID, declinedKey(k.pubKey), k.info.Name); err != nil {
			return api.Knock{}, fmt.Errorf("record the declined knock: %w", err)
		}
	}
	if !h.door.take(roomID, k) {
		return api.Knock{}, ErrNoSuchKnock // it went away or timed out meanwhile
	}
	k.answer <- o
	h.toHosts(roomID, api.MsgKnockEnded, api.KnockEnded{ID: k.info.ID, Reason: reason})
	h.log.Info("knock answered", "room", room.LogID(roomID), "knock", k.info.ID, "answer", reason)
	return k.info, nil
}

// roomChangedKnocks lets everyone waiting in when the room is unlocked,
// and sends them away when it ended.
func (h *Hub) roomChangedKnocks(r room.Room) {
	o, reason := outcomeAdmitted, api.KnockAdmitted
	switch {
	case r.StateAt(h.cfg.Now()) == room.Ended:
		o, reason = outcomeEnded, api.KnockRoomEnded
	case r.Locked:
		return
	}
	for _, k := range h.door.takeAll(r.ID)[r.ID] {
		k.answer <- o
		h.toHosts(r.ID, api.MsgKnockEnded, api.KnockEnded{ID: k.info.ID, Reason: reason})
	}
}

// closeKnocks sends every knocker away at shutdown.
func (h *Hub) closeKnocks() {
	for _, list := range h.door.takeAll("") {
		for _, k := range list {
			k.answer <- outcomeShutdown
		}
	}
}

// toHosts sends a message to the hosts in roomID's call, if any.
func (h *Hub) toHosts(roomID string, t api.MessageType, v any) {
	c := h.lookup(roomID)
	if c == nil {
		return
	}
	msg := mustEncode(t, v)
	for _, s := range c.sessions() {
		if s.host {
			s.conn.Send(msg)
		}
	}
}

func mustEncode(t api.MessageType, v any) api.Message {
	m, err := api.Encode(t, v)
	if err != nil {
		panic(fmt.Sprintf("encode %s: %v", t, err)) // only our own fixed types are encoded
	}
	return m
}
