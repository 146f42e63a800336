package api

import (
	"net/http"

	"github.com/rooms-dev/rooms/internal/audit"
	"github.com/rooms-dev/rooms/internal/room"
)

// audit writes the audit line of a host action done over the API by the
// holder of rm's host key.
func (s *Server) audit(r *http.Request, act string, rm room.Room, target string) {
	audit.Log(r.Context(), s.log, audit.Entry{
		Action: act, Room: rm.ID, Actor: audit.HostActor(rm.HostKeyHash),
		Target: target, Addr: clientAddr(r), Via: audit.ViaAPI,
	})
}
