package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

func isTaken(err error) bool { return errors.Is(err, store.ErrHandleTaken) }

// caller is who signed a request: its key, and its handle if it has one.
type caller struct {
	key    string
	handle string
	// signedAt is when the request was signed: a stream lasts no longer
	// than the signature would pass.
	signedAt time.Time
}

// authenticate checks the request's Rooms-Auth signature: made for this
// server's origin, over this method, target and body, in time, and never
// seen before. The body is read here (bounded) and put back for the
// handler.
func (s *Server) authenticate(r *http.Request) (caller, error) {
	h := r.Header.Get(apitypes.HeaderAuth)
	if h == "" {
		return caller{}, problem(apitypes.CodeUnauthorized, "this needs your identity: use the rooms CLI (rooms login NAME first)")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return caller{}, problem(apitypes.CodeInvalidArgument, "could not read the request body: %s", err)
	}
	if len(body) > MaxBodyBytes {
		return caller{}, problem(apitypes.CodeTooLarge, "request body is larger than %d bytes", MaxBodyBytes)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	var auth apitypes.Auth
	for _, o := range s.origins.Candidates(r) {
		auth, err = apitypes.VerifyAuth(h, apitypes.AuthRequest{Origin: o, Method: r.Method, Target: r.RequestURI, Body: body}, s.now())
		if err == nil {
			break
		}
	}
	if err != nil {
		return caller{}, problem(apitypes.CodeUnauthorized, "%s", err)
	}
	// Remembered until the signature's time could no longer pass.
	if err := s.cfg.Store.UseNonce(r.Context(), auth.PublicKey, auth.Nonce, auth.Time.Add(apitypes.AuthWindow)); err != nil {
		if errors.Is(err, store.ErrReplay) {
			return caller{}, problem(apitypes.CodeUnauthorized, "this signed request was already used; sign each request anew")
		}
		return caller{}, err
	}
	handle, err := s.cfg.Store.HandleOf(r.Context(), auth.PublicKey)
	if err != nil {
		return caller{}, err
	}
	return caller{key: auth.PublicKey, handle: handle, signedAt: auth.Time}, nil
}

// withHandle authenticates and requires a handle.
func (s *Server) withHandle(r *http.Request) (caller, error) {
	c, err := s.authenticate(r)
	if err != nil {
		return c, err
	}
	if c.handle == "" {
		return c, problem(apitypes.CodeForbidden, "you have no handle on this server; claim one with: rooms login NAME")
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
		return problem(apitypes.CodeInvalidArgument, "handles are 2 to 32 characters: lower-case letters, digits, - and _, starting with a letter or digit")
	}
	if err := s.cfg.Store.ClaimHandle(r.Context(), req.Handle, c.key); err != nil {
		if isTaken(err) {
			return problemStatus(http.StatusConflict, apitypes.CodeInvalidArgument, "the handle %q is taken on this server; pick another", req.Handle)
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
