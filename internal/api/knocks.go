package api

import (
	"errors"
	"net/http"

	"github.com/rooms-dev/rooms/internal/room"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// listKnocks says who knocks on a locked room's door, as the host.
func (s *Server) listKnocks(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.readAsHost(r, room.ActAdmit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitypes.KnockList{Knocks: s.cfg.Live.Knocks(rm.ID)})
}

// answerKnock admits or declines someone knocking, as the host; the knock
// is named by its id or the knocker's name.
func (s *Server) answerKnock(w http.ResponseWriter, r *http.Request) error {
	act := room.Action(r.PathValue("answer"))
	if act != room.ActAdmit && act != room.ActDeny {
		return problem(apitypes.CodeNotFound, "a knock is answered with admit or deny, not %q", r.PathValue("answer"))
	}
	rm, err := s.readAsHost(r, act)
	if err != nil {
		return err
	}
	who := r.PathValue("knock")
	k, err := s.cfg.Live.AnswerKnock(r.Context(), rm.ID, who, act == room.ActAdmit)
	switch {
	case errors.Is(err, room.ErrNoKnock) && err.Error() != room.ErrNoKnock.Error():
		return problemStatus(http.StatusConflict, apitypes.CodeInvalidArgument, "%s", err)
	case errors.Is(err, room.ErrNoKnock), errors.Is(err, errNoCall):
		return problem(apitypes.CodeNotFound, "nobody called %q is knocking; `rooms knocks` lists who is", who)
	case err != nil:
		return err
	}
	s.audit(r, string(act), rm, k.ID)
	return writeJSON(w, http.StatusOK, k)
}

// readAsHost reads the room of a host action that changes no stored room
// (knocks live in the call hub), checking the host key as asHost does but
// without writing the room.
func (s *Server) readAsHost(r *http.Request, act room.Action) (room.Room, error) {
	id := r.PathValue("id")
	if !room.ValidID(id) {
		return room.Room{}, roomNotFound()
	}
	key := r.Header.Get(apitypes.HeaderHostKey)
	if key == "" {
		return room.Room{}, problem(apitypes.CodeUnauthorized,
			"this is a host action and no host key was sent; run it where the room was created, or pass --host-key")
	}
	rm, err := s.cfg.Store.GetRoom(r.Context(), id)
	if err != nil {
		return room.Room{}, err
	}
	if err := room.Authorize(act, rm.IsHost(key)); err != nil {
		return room.Room{}, problem(apitypes.CodeForbidden, "the host key is wrong for this room; only its host sees and answers knocks")
	}
	return rm, nil
}
