package api

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

func isTaken(err error) bool { return errors.Is(err, store.ErrHandleTaken) }

// caller is who signed a request: its key, and its handle if it has one.
type caller struct {
	key    string
	handle string
}

// authenticate checks the request's Rooms-Auth signature.
func (s *Server) authenticate(r *http.Request) (caller, error) {
	h := r.Header.Get(apitypes.HeaderAuth)
	if h == "" {
		return caller{}, problem(http.StatusUnauthorized, apitypes.CodeUnauthorized, "this needs your identity: use the rooms CLI (rooms login NAME first)")
	}
	key, err := apitypes.VerifyAuth(h, r.Method, r.URL.Path, s.now())
	if err != nil {
		return caller{}, problem(http.StatusUnauthorized, apitypes.CodeUnauthorized, "%s", err)
	}
	handle, err := s.cfg.Store.HandleOf(r.Context(), key)
	if err != nil {
		return caller{}, err
	}
	return caller{key: key, handle: handle}, nil
}

// withHandle authenticates and requires a handle.
func (s *Server) withHandle(r *http.Request) (caller, error) {
	c, err := s.authenticate(r)
	if err != nil {
		return c, err
	}
	if c.handle == "" {
		return c, problem(http.StatusForbidden, apitypes.CodeForbidden, "you have no handle on this server; claim one with: rooms login NAME")
	}
	return c, nil
}

// handleRE is what handles look like: short, lower case, unambiguous.
var handleRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,31}$`)

func (s *Server) claimHandle(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req apitypes.Handle
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if !handleRE.MatchString(req.Handle) {
		return problem(http.StatusBadRequest, apitypes.CodeInvalidArgument, "handles are 2 to 32 characters: lower-case letters, digits, - and _, starting with a letter or digit")
	}
	if err := s.cfg.Store.ClaimHandle(r.Context(), req.Handle, c.key); err != nil {
		if isTaken(err) {
			return problem(http.StatusConflict, apitypes.CodeInvalidArgument, "the handle %q is taken on this server; pick another", req.Handle)
		}
		return err
	}
	s.log.Info("handle claimed")
	return writeJSON(w, http.StatusOK, req)
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitypes.Handle{Handle: c.handle})
}

func (s *Server) releaseHandle(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.ReleaseHandle(r.Context(), c.key); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apitypes.Handle{})
}
