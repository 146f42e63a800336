package api

import (
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/theme"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/web"
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
		return problem(apitypes.CodeUnavailable, "%s", errNotReady)
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
		MaxScreenShares:     s.cfg.MaxScreenShares,
		CreateTokenRequired: s.createToken() != "",
		SignalProtocol:      apitypes.SignalProtocol,
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
		return problem(apitypes.CodeMethodNotAllow, "%s is not allowed here; use %s", r.Method, strings.Join(allow, " or "))
	}
	return problem(apitypes.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}

// csp is every page's Content-Security-Policy: scripts and styles from
// this server only, no inline code, media from the camera, sockets back to
// this host.
func csp(r *http.Request) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
		"media-src 'self' blob: mediastream:; connect-src 'self' ws://" + r.Host + " wss://" + r.Host + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func pageHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp(r))
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)")
}

var roomPage = template.Must(template.ParseFS(web.Static(), "room.html"))

// roomPage serves a room link: the WebSocket for a call, else the browser
// client. The page is the same for every id of the right shape, so it says
// nothing about whether a room exists; the client asks the API.
func (s *Server) roomPage(w http.ResponseWriter, r *http.Request) error {
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if s.cfg.Signal == nil {
			return problem(apitypes.CodeNotFound, "this server does not carry calls")
		}
		// The room is looked up after the join, so a wrong link gets the
		// protocol's room_not_found like every other refusal.
		s.cfg.Signal.ServeHTTP(w, r)
		return nil
	}
	if id, ok := strings.CutSuffix(r.PathValue("id"), ".ics"); ok {
		return s.calendar(w, r, id)
	}
	pageHeaders(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	id := r.PathValue("id")
	if !room.ValidID(id) {
		w.WriteHeader(http.StatusNotFound)
	}
	return roomPage.Execute(w, map[string]string{"ID": id, "Link": s.cfg.PublicURL + "/r/" + id})
}

// directoryPage is the server root: the public rooms, in the browser.
func (s *Server) directoryPage(w http.ResponseWriter, r *http.Request) error {
	pageHeaders(w, r)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, web.Static(), "index.html")
	return nil
}

// static serves the browser client's scripts and styles.
func (s *Server) static(w http.ResponseWriter, r *http.Request) error {
	pageHeaders(w, r)
	w.Header().Set("Cache-Control", "no-cache")
	name := r.PathValue("file")
	if _, err := fs.Stat(web.Static(), name); err != nil || strings.HasSuffix(name, ".html") {
		return problem(apitypes.CodeNotFound, "no such file: /static/%s", name)
	}
	http.ServeFileFS(w, r, web.Static(), name)
	return nil
}

// calendar serves a room's calendar file: whoever has the link may add it
// to a calendar. Rescheduling raises its SEQUENCE; ending a booked room
// makes it a cancellation.
func (s *Server) calendar(w http.ResponseWriter, r *http.Request, id string) error {
	if !room.ValidID(id) {
		return roomNotFound()
	}
	rm, err := s.cfg.Store.GetRoom(r.Context(), id)
	if err != nil {
		return err
	}
	th, _ := theme.Lookup(rm.Theme)
	name := rm.Name
	if name == "" {
		name = th.Title
	}
	link := s.cfg.PublicURL + "/r/" + rm.ID
	host := strings.TrimPrefix(strings.TrimPrefix(s.cfg.PublicURL, "https://"), "http://")
	ics, err := notify.ICS(notify.Event{
		UID: rm.ID + "@" + host,
		// Any change to the room raises it, reschedules included.
		Sequence:    notify.Sequence(rm.CreatedAt, rm.UpdatedAt),
		Start:       rm.StartsAt,
		Duration:    rm.Duration,
		TZ:          rm.TimeZone,
		Summary:     strings.TrimSpace(th.Emoji + " " + name),
		Description: "Join: " + link + "\nFrom a terminal: rooms join " + link,
		URL:         link,
		Cancelled:   rm.State == room.Ended && !rm.EndedAt.After(rm.StartsAt),
		Stamp:       s.now(),
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="room.ics"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(ics)
	return err
}
