package api

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/clientaddr"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// statusWriter remembers the status a handler wrote, for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware resolves the client's address, bounds the rate per address,
// keeps other sites out (guard), turns returned errors into problems,
// recovers from panics, and records every request in logs and metrics.
// Health probes skip the rate and the guard. Logs carry
// the route pattern, never the query or headers, where secrets may be.
func (s *Server) middleware(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		client := s.cfg.TrustedProxies.Resolve(r)
		r = r.WithContext(clientaddr.With(r.Context(), client))
		w := &statusWriter{ResponseWriter: rw}
		route := r.Pattern
		if route == "" || route == "/" {
			route = "other"
		}
		// A call's WebSocket lasts the whole call: count it, but keep it
		// out of the request latencies.
		ws := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
		if ws {
			route += " (websocket)"
		}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("handler panicked", "route", route, "panic", v)
				if w.status == 0 {
					writeProblem(w, problem(apitypes.CodeInternal, "internal error; the server log has details"))
				}
			}
			elapsed := time.Since(start)
			s.metrics.observe(route, r.Method, w.status, elapsed, !ws)
			level := slog.LevelDebug
			if w.status >= 500 {
				level = slog.LevelError
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "route", route, "status", w.status, "duration", elapsed, "addr", clientAddr(r))
		}()

		if !probes[r.Pattern] {
			if ok, wait := s.live.general.Load().allow(client.Key(), s.now()); !ok {
				writeRateLimited(w, wait)
				return
			}
			if p := s.guard.check(r, client); p != nil {
				writeProblem(w, p)
				return
			}
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := h(w, r); err != nil {
			p := s.toProblem(err)
			if p == nil {
				s.log.Error("request failed", "method", r.Method, "route", route, "err", err)
				p = problem(apitypes.CodeInternal, "internal error; the server log has details")
			}
			if w.status == 0 {
				writeProblem(w, p)
			}
		}
	})
}

func writeRateLimited(w http.ResponseWriter, wait time.Duration) {
	secs := int(wait.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	p := problem(apitypes.CodeRateLimited, "too many requests; try again in %d s", secs)
	p.RetryAfterSeconds = secs
	writeProblem(w, p)
}

// clientAddr is the address of the client that sent r, as logs show it:
// the TCP peer, or behind a trusted proxy the address it forwarded for
// (clientaddr.Proxies.Resolve, run once by the middleware).
func clientAddr(r *http.Request) string {
	return clientaddr.From(r).String()
}

// clientKey is what per-address limits count r by: the address, or an
// IPv6 address's /64.
func clientKey(r *http.Request) string {
	return clientaddr.From(r).Key()
}
