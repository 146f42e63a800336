package api

import (
	"errors"
	"net/http"

	"github.com/rooms-dev/rooms/internal/room"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// listKnocks says who knocks on a locked room's door, as the host.
func (s *Server) listKnocks(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.asHost(r, room.ActAdmit, func(*room.Room) error { return nil })
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
		return problem(http.StatusNotFound, apitypes.CodeNotFound, "a knock is answered with admit or deny, not %q", r.PathValue("answer"))
	}
	rm, err := s.asHost(r, act, func(*room.Room) error { return nil })
	if err != nil {
		return err
	}
	who := r.PathValue("knock")
	k, err := s.cfg.Live.AnswerKnock(r.Context(), rm.ID, who, act == room.ActAdmit)
	switch {
	case errors.Is(err, room.ErrNoKnock) && err.Error() != room.ErrNoKnock.Error():
		return problem(http.StatusConflict, apitypes.CodeInvalidArgument, "%s", err)
	case errors.Is(err, room.ErrNoKnock), errors.Is(err, errNoCall):
		return problem(http.StatusNotFound, apitypes.CodeNotFound, "nobody called %q is knocking; `rooms knocks` lists who is", who)
	case err != nil:
		return err
	}
	s.log.Info("knock answered", "room", room.LogID(rm.ID), "knock", k.ID, "answer", act)
	return writeJSON(w, http.StatusOK, k)
}
