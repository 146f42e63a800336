package api

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/rooms-dev/rooms/internal/audit"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/theme"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// maxMine bounds how many rooms one "mine" lookup may name, and
// maxMineBytes its body: 1000 ids and keys with JSON around them.
const (
	maxMine      = 1000
	maxMineBytes = 160 << 10
)

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) error {
	if tok := s.createToken(); tok != "" {
		got := r.Header.Get(apitypes.HeaderCreateToken)
		if got == "" {
			return problem(apitypes.CodeUnauthorized, "this server needs a create token to make rooms; pass --create-token or set ROOMS_CREATE_TOKEN (the server's operator has it)")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			return problem(apitypes.CodeForbidden, "the create token is wrong; ask the server's operator for the right one")
		}
	}
	if ok, wait := s.live.creates.Load().allow(clientKey(r), s.now()); !ok {
		writeRateLimited(w, wait)
		return nil
	}
	req, err := s.decodeCreate(w, r)
	if err != nil {
		return err
	}
	spec := room.Spec{
		Name:       req.Name,
		Theme:      theme.Default,
		Visibility: room.Visibility(req.Visibility),
		Capacity:   req.MaxParticipants,
		TimeZone:   req.TimeZone,
		Duration:   time.Duration(req.DurationSeconds) * time.Second,
		// room.New refuses a negative cap or one above the server's.
		MaxScreenShares: req.MaxScreenShares,
	}
	if req.Theme != "" {
		th, ok := theme.Lookup(req.Theme)
		if !ok {
			return unknownTheme(req.Theme)
		}
		spec.Theme = th.Name
	}
	if req.MaxParticipants < 0 || req.DurationSeconds < 0 {
		return problem(apitypes.CodeInvalidArgument, "max participants and duration cannot be negative")
	}
	if req.StartsAt != nil {
		spec.StartsAt = *req.StartsAt
	}
	invitees, err := parseInvites(req.Invite)
	if err != nil {
		return err
	}
	if err := s.checkWebhooks(req.Webhooks); err != nil {
		return err
	}
	key, hash := room.NewHostKey()
	rm, err := room.New(room.NewID(), hash, spec, s.limits, s.now())
	if err != nil {
		return err
	}
	switch {
	case req.RemindSeconds != nil && (*req.RemindSeconds < 0 || *req.RemindSeconds > int64(7*24*3600)):
		return problem(apitypes.CodeInvalidArgument, "a reminder is at most a week before the room opens")
	case req.RemindSeconds != nil:
		rm.Remind = time.Duration(*req.RemindSeconds) * time.Second
	case rm.State == room.Scheduled:
		rm.Remind = defaultRemind
	}
	out := s.render(rm)
	out.HostKey = key
	// The room, who is told of it and their invitations are written in
	// one transaction: a crash cannot keep the room and lose the rest.
	var rc store.Recipients
	var rows []store.OutboxItem
	if len(invitees) > 0 || len(req.Webhooks) > 0 {
		out.Invitations, rc, out.WebhookSecrets, err = s.planNotifications(r.Context(), invitees, req.Webhooks)
		if err != nil {
			return err
		}
		if len(out.WebhookSecrets) == 1 {
			out.WebhookSecret = out.WebhookSecrets[0].Secret
		}
		if rows, err = s.cfg.Notifier.Rows(rm, "invited", nil, rc); err != nil {
			return err
		}
	}
	if err := s.cfg.Store.CreateRoomWith(r.Context(), rm, rc, rows); err != nil {
		return err
	}
	s.log.Info("room created", "room", room.LogID(rm.ID), "theme", rm.Theme, "state", rm.State, "visibility", rm.Visibility)
	s.audit(r, audit.Create, rm, "")
	if len(rows) > 0 {
		s.cfg.Notifier.Wake()
	}
	w.Header().Set("Location", "/v1/rooms/"+rm.ID)
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) getRoom(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.lookup(r)
	if err != nil {
		return err
	}
	out := s.render(rm)
	// The host also sees who is invited and how each is told.
	if rm.IsHost(r.Header.Get(apitypes.HeaderHostKey)) {
		if out.Invitations, err = s.invitations(r.Context(), rm.ID); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// lookup finds the room named by the path, refusing malformed ids before
// touching the store.
func (s *Server) lookup(r *http.Request) (room.Room, error) {
	id := r.PathValue("id")
	if !room.ValidID(id) {
		return room.Room{}, roomNotFound()
	}
	return s.cfg.Store.GetRoom(r.Context(), id)
}

// listRooms is the public directory: listed rooms that have not ended.
func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) error {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return problem(apitypes.CodeInvalidArgument, "limit must be a number from 1 to 1000")
		}
		limit = n
	}
	rooms, err := s.cfg.Store.ListRooms(r.Context(), store.ListFilter{
		Visibility: room.Public,
		States:     []room.State{room.Scheduled, room.Open},
		LiveAt:     s.now(),
		Limit:      limit,
	})
	if err != nil {
		return err
	}
	now := s.now()
	out := apitypes.RoomList{Rooms: []apitypes.Room{}}
	for _, rm := range rooms {
		if rm.StateAt(now) != room.Ended {
			out.Rooms = append(out.Rooms, s.render(rm))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// mineRooms returns the rooms whose host keys the caller holds, public or
// private, ended or not. A wrong key and a missing room both just drop out.
func (s *Server) mineRooms(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.MineRequest
	if err := decodeMax(w, r, &req, maxMineBytes); err != nil {
		return err
	}
	if len(req.Rooms) > maxMine {
		return problem(apitypes.CodeInvalidArgument, "at most %d rooms per request", maxMine)
	}
	keys := map[string]string{}
	ids := []string{}
	for _, ref := range req.Rooms {
		if room.ValidID(ref.ID) {
			keys[ref.ID] = ref.HostKey
			ids = append(ids, ref.ID)
		}
	}
	out := apitypes.RoomList{Rooms: []apitypes.Room{}}
	if len(ids) == 0 {
		return writeJSON(w, http.StatusOK, out)
	}
	rooms, err := s.cfg.Store.ListRooms(r.Context(), store.ListFilter{IDs: ids, Limit: maxMine})
	if err != nil {
		return err
	}
	for _, rm := range rooms {
		if rm.IsHost(keys[rm.ID]) {
			out.Rooms = append(out.Rooms, s.render(rm))
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) updateRoom(w http.ResponseWriter, r *http.Request) error {
	var req apitypes.UpdateRoomRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	change, act, err := toChange(req)
	if err != nil {
		return err
	}
	var rows []store.OutboxItem
	rm, err := s.asHost(r, act, func(rm *room.Room, rc store.Recipients) ([]store.OutboxItem, error) {
		before := *rm
		if err := room.Apply(rm, change, s.limits, s.now()); err != nil {
			return nil, err
		}
		// A booked room moved: tell its invitees it opens early, or when,
		// in the same transaction as the move.
		if rm.StartsAt.Equal(before.StartsAt) {
			return nil, nil
		}
		typ, old := "rescheduled", before.StartsAt
		if rm.State == room.Open {
			typ = "room_open"
		}
		var err error
		rows, err = s.cfg.Notifier.Rows(*rm, typ, &old, rc)
		return rows, err
	})
	if err != nil {
		return err
	}
	s.audit(r, string(act), rm, "")
	s.cfg.Live.RoomChanged(rm)
	if len(rows) > 0 {
		s.cfg.Notifier.Wake()
	}
	return writeJSON(w, http.StatusOK, s.render(rm))
}

func (s *Server) endRoom(w http.ResponseWriter, r *http.Request) error {
	var rows []store.OutboxItem
	rm, err := s.asHost(r, room.ActEnd, func(rm *room.Room, rc store.Recipients) ([]store.OutboxItem, error) {
		wasBooked := rm.StateAt(s.now()) == room.Scheduled
		if err := room.End(rm, s.now()); err != nil || !wasBooked {
			return nil, err
		}
		var err error
		rows, err = s.cfg.Notifier.Rows(*rm, "cancelled", nil, rc)
		return rows, err
	})
	if err != nil {
		return err
	}
	s.audit(r, string(room.ActEnd), rm, "")
	s.cfg.Live.RoomChanged(rm)
	if len(rows) > 0 {
		s.cfg.Notifier.Wake()
	}
	return writeJSON(w, http.StatusOK, s.render(rm))
}

// asHost runs fn on the room in one store transaction, after checking the
// caller's host key allows act; the outbox rows fn returns are written in
// that transaction.
func (s *Server) asHost(r *http.Request, act room.Action, fn func(*room.Room, store.Recipients) ([]store.OutboxItem, error)) (room.Room, error) {
	id := r.PathValue("id")
	if !room.ValidID(id) {
		return room.Room{}, roomNotFound()
	}
	key := r.Header.Get(apitypes.HeaderHostKey)
	if key == "" {
		return room.Room{}, problem(apitypes.CodeUnauthorized,
			"this is a host action and no host key was sent; run it where the room was created, or pass --host-key")
	}
	return s.cfg.Store.UpdateRoomWith(r.Context(), id, func(rm *room.Room, rc store.Recipients) ([]store.OutboxItem, error) {
		if err := room.Authorize(act, rm.IsHost(key)); err != nil {
			return nil, problem(apitypes.CodeForbidden, "the host key is wrong for this room; only its host may %s it", act)
		}
		return fn(rm, rc)
	})
}

// toChange checks the request's values and says which action it is, so
// the authorization and the log name what was done.
func toChange(req apitypes.UpdateRoomRequest) (room.Change, room.Action, error) {
	c := room.Change{
		Name:     req.Name,
		StartsAt: req.StartsAt,
		TimeZone: req.TimeZone,
		Capacity: req.MaxParticipants,
		Locked:   req.Locked,
		// 0 is a value here: it hands the cap back to the server's.
		MaxScreenShares: req.MaxScreenShares,
	}
	act := room.ActEdit
	fields := 0
	if req.Theme != nil {
		th, ok := theme.Lookup(*req.Theme)
		if !ok {
			return c, act, unknownTheme(*req.Theme)
		}
		c.Theme = &th.Name
		fields++
	}
	if req.Visibility != nil {
		v := room.Visibility(*req.Visibility)
		c.Visibility = &v
		act = room.ActUnhide
		if v == room.Private {
			act = room.ActHide
		}
		fields++
	}
	if req.Locked != nil {
		act = room.ActUnlock
		if *req.Locked {
			act = room.ActLock
		}
		fields++
	}
	if req.DurationSeconds != nil {
		if *req.DurationSeconds < 0 {
			return c, act, problem(apitypes.CodeInvalidArgument, "duration cannot be negative")
		}
		d := time.Duration(*req.DurationSeconds) * time.Second
		c.Duration = &d
		fields++
	}
	for _, set := range []bool{req.Name != nil, req.StartsAt != nil, req.TimeZone != nil, req.MaxParticipants != nil, req.MaxScreenShares != nil} {
		if set {
			fields++
		}
	}
	if fields == 0 {
		return c, act, problem(apitypes.CodeInvalidArgument, "nothing to change: name at least one field")
	}
	if fields > 1 {
		act = room.ActEdit
	}
	return c, act, nil
}

// render is rm as clients see it now, with the people in its call.
func (s *Server) render(rm room.Room) apitypes.Room {
	return s.wire.Render(rm, s.now(), s.cfg.Live.Count(rm.ID))
}

var errNotReady = errors.New("store is not answering")
