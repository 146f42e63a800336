package api

import (
	"net/http"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// createBody is the body of POST /v1/rooms as decoded: the wire request,
// with max_participants as a pointer so that an explicit 0 (refused: a
// room for nobody is a mistake, often an unset variable in a script) is
// told apart from an absent field (the default). The outer field shadows
// the embedded one for encoding/json.
type createBody struct {
	apitypes.CreateRoomRequest
	MaxParticipants *int `json:"max_participants,omitempty"`
}

// decodeCreate reads a create request, refusing a max_participants that
// is given but below 1.
func (s *Server) decodeCreate(w http.ResponseWriter, r *http.Request) (apitypes.CreateRoomRequest, error) {
	var b createBody
	if err := decode(w, r, &b); err != nil {
		return apitypes.CreateRoomRequest{}, err
	}
	req := b.CreateRoomRequest
	if b.MaxParticipants != nil {
		if *b.MaxParticipants < 1 {
			p := problem(apitypes.CodeInvalidArgument,
				"max_participants must be between 1 and %d (the server's cap), not %d; leave it out for the default", s.cfg.MaxParticipants, *b.MaxParticipants)
			p.MaxParticipants = s.cfg.MaxParticipants
			return apitypes.CreateRoomRequest{}, p
		}
		req.MaxParticipants = *b.MaxParticipants
	}
	return req, nil
}
