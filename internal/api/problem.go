package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/internal/theme"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// problem builds an error that the middleware writes as a problem document:
// type about:blank with the status phrase as its title (RFC 9457 4.2.1),
// the meaning in code.
func problem(status int, code apitypes.Code, detail string, args ...any) *apitypes.Problem {
	return &apitypes.Problem{
		Type:   apitypes.ProblemType,
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: fmt.Sprintf(detail, args...),
	}
}

// roomNotFound is the one answer for a missing room and a room the caller
// may not know about, so the two cannot be told apart.
func roomNotFound() *apitypes.Problem {
	return problem(http.StatusNotFound, apitypes.CodeRoomNotFound, "no room has that link; check it, or ask its host for a new one")
}

func unknownTheme(name string) *apitypes.Problem {
	p := problem(http.StatusBadRequest, apitypes.CodeUnknownTheme, "unknown theme %q; the themes are listed by `rooms themes`", name)
	p.Themes = theme.Names()
	return p
}

// toProblem maps the errors of room's rules and the store to problems.
func (s *Server) toProblem(err error) *apitypes.Problem {
	var p *apitypes.Problem
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, store.ErrNotFound):
		return roomNotFound()
	case errors.Is(err, room.ErrForbidden):
		return problem(http.StatusForbidden, apitypes.CodeForbidden, "%s; the host key is kept by the rooms CLI that created the room", err)
	case errors.Is(err, room.ErrEnded):
		return problem(http.StatusConflict, apitypes.CodeRoomEnded, "the room has ended; create a new one with `rooms create`")
	case errors.Is(err, room.ErrBadTime):
		return problem(http.StatusBadRequest, apitypes.CodeBadTime, "%s", err)
	case errors.Is(err, room.ErrInvalid):
		p := problem(http.StatusBadRequest, apitypes.CodeInvalidArgument, "%s", err)
		p.MaxParticipants = s.cfg.MaxParticipants
		p.MaxScreenShares = s.cfg.MaxScreenShares
		return p
	}
	return nil
}

func writeProblem(w http.ResponseWriter, p *apitypes.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// decode reads one bounded JSON object into v, refusing unknown fields so
// a typo in a script fails loudly instead of being ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return decodeMax(w, r, v, MaxBodyBytes)
}

func decodeMax(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem(http.StatusRequestEntityTooLarge, apitypes.CodeTooLarge, "request body is larger than %d bytes", limit)
		}
		return problem(http.StatusBadRequest, apitypes.CodeInvalidArgument, "request body is not valid JSON for this call: %s", err)
	}
	if dec.More() {
		return problem(http.StatusBadRequest, apitypes.CodeInvalidArgument, "request body holds more than one JSON value")
	}
	return nil
}
