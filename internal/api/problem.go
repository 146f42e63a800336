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

// problem builds an error that the middleware writes as a problem document
// with code's HTTP status from the table of codes (pkg/api): type
// about:blank with the status phrase as its title (RFC 9457 4.2.1), the
// meaning in code.
func problem(code apitypes.Code, detail string, args ...any) *apitypes.Problem {
	return problemStatus(code.Status(), code, detail, args...)
}

// problemStatus is a problem with another status than code's own, where
// the API documents one (invalid_argument is 409 when a name is taken or
// a knock is answered twice).
func problemStatus(status int, code apitypes.Code, detail string, args ...any) *apitypes.Problem {
	if status == 0 {
		status = http.StatusInternalServerError // a signalling-only code has no status of its own
	}
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
	return problem(apitypes.CodeRoomNotFound, "%s", apitypes.CodeRoomNotFound.Message())
}

func unknownTheme(name string) *apitypes.Problem {
	p := problem(apitypes.CodeUnknownTheme, "unknown theme %q; the themes are listed by `rooms themes`", name)
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
		return problem(apitypes.CodeForbidden, "%s; the host key is kept by the rooms CLI that created the room", err)
	case errors.Is(err, room.ErrEnded):
		return problem(apitypes.CodeRoomEnded, "the room has ended; create a new one with `rooms create`")
	case errors.Is(err, room.ErrBadTime):
		return problem(apitypes.CodeBadTime, "%s", err)
	case errors.Is(err, room.ErrInvalid):
		p := problem(apitypes.CodeInvalidArgument, "%s", err)
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
			return problem(apitypes.CodeTooLarge, "request body is larger than %d bytes", limit)
		}
		return problem(apitypes.CodeInvalidArgument, "request body is not valid JSON for this call: %s", err)
	}
	if dec.More() {
		return problem(apitypes.CodeInvalidArgument, "request body holds more than one JSON value")
	}
	return nil
}
