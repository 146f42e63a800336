package api

import (
	"errors"
	"net/http"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

var errNoCall = errors.New("nobody is in the call")

// listParticipants says who is in a room's call; anyone with the link may ask.
func (s *Server) listParticipants(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.lookup(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitypes.ParticipantList{Participants: s.cfg.Live.Participants(rm.ID)})
}

// removeParticipant takes someone out of the call for good, as the host.
func (s *Server) removeParticipant(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.asHost(r, room.ActRemove, func(*room.Room, store.Recipients) ([]store.OutboxItem, error) { return nil, nil })
	if err != nil {
		return err
	}
	p, err := s.cfg.Live.Remove(r.Context(), rm.ID, r.PathValue("who"))
	switch {
	case errors.Is(err, room.ErrForbidden):
		return problem(apitypes.CodeForbidden, "%s", err)
	case errors.Is(err, room.ErrNotInCall) && err.Error() != room.ErrNotInCall.Error():
		return problemStatus(http.StatusConflict, apitypes.CodeInvalidArgument, "%s", err)
	case errors.Is(err, room.ErrNotInCall), errors.Is(err, errNoCall):
		return problem(apitypes.CodeNotFound, "nobody called %q is in the call; `rooms who` lists who is", r.PathValue("who"))
	case err != nil:
		return err
	}
	s.audit(r, string(room.ActRemove), rm, p.ID)
	return writeJSON(w, http.StatusOK, p)
}
