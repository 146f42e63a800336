package api

import (
	"net/http"

	"github.com/rooms-dev/rooms/internal/audit"
	"github.com/rooms-dev/rooms/internal/room"
)

// ClientAddr is r's client address as the API counts it (rate limits,
// request logs, the audit trail); the signalling handler takes it from
// here so a call's host actions name the same address.
func (s *Server) ClientAddr(r *http.Request) string { return clientAddr(r) }

// audit writes the audit line of a host action done over the API by the
// holder of rm's host key.
func (s *Server) audit(r *http.Request, act string, rm room.Room, target string) {
	audit.Log(r.Context(), s.log, audit.Entry{
		Action: act, Room: rm.ID, Actor: audit.HostActor(rm.HostKeyHash),
		Target: target, Addr: clientAddr(r), Via: audit.ViaAPI,
	})
}
