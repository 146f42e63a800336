package api

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/theme"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := fmt.Fprintln(w, "ok")
	return err
}

// readyz says whether the server can serve: the store must answer.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return problem(http.StatusServiceUnavailable, apitypes.CodeUnavailable, "%s", errNotReady)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := fmt.Fprintln(w, "ready")
	return err
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, apitypes.ServerInfo{
		Version:             s.cfg.Version,
		PublicURL:           s.cfg.PublicURL,
		MaxParticipants:     s.cfg.MaxParticipants,
		CreateTokenRequired: s.cfg.CreateToken != "",
	})
}

func (s *Server) themes(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, apitypes.ThemeList{Themes: theme.All()})
}

// notFound answers what no route took: a path that exists under another
// method gets 405 with Allow, anything else 404.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return problem(http.StatusMethodNotAllowed, apitypes.CodeMethodNotAllow, "%s is not allowed here; use %s", r.Method, strings.Join(allow, " or "))
	}
	return problem(http.StatusNotFound, apitypes.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}

var roomPage = template.Must(template.New("room").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title></head>
<body><h1>{{.Title}}</h1><p>{{.Body}}</p>{{if .Command}}<pre>{{.Command}}</pre>{{end}}</body></html>
`))

// roomPage answers a room link opened in a browser. Until the web client
// lands it says how to join from a terminal. Missing and ended rooms get
// the same not-found page a wrong link gets.
func (s *Server) roomPage(w http.ResponseWriter, r *http.Request) error {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if s.cfg.Signal == nil {
			return problem(http.StatusNotFound, apitypes.CodeNotFound, "this server does not carry calls")
		}
		// The room is looked up after the join, so a wrong link gets the
		// protocol's room_not_found like every other refusal.
		s.cfg.Signal.ServeHTTP(w, r)
		return nil
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Referrer-Policy", "no-referrer")
	rm, err := s.lookup(r)
	if err != nil || rm.StateAt(s.now()) == room.Ended {
		w.WriteHeader(http.StatusNotFound)
		return roomPage.Execute(w, map[string]string{"Title": "No room here", "Body": "This link does not lead to a room. Check it, or ask the host for a new one."})
	}
	th, _ := theme.Lookup(rm.Theme)
	title := th.Emoji + " " + rm.Name
	if rm.Name == "" {
		title = th.Emoji + " " + th.Title
	}
	return roomPage.Execute(w, map[string]string{
		"Title":   title,
		"Body":    "Join this room from a terminal (joining from the browser is coming):",
		"Command": "rooms join " + s.cfg.PublicURL + "/r/" + rm.ID + " --headless",
	})
}
