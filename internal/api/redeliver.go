package api

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// auditRedeliver is the audit action of a host asking for redelivery.
const auditRedeliver = "redeliver"

// redeliver is POST /v1/rooms/{id}/redeliver: the room's host has one of
// its webhook deliveries ({"id": N}, any state) or, without an id, every
// dead one sent again now, with a fresh retry schedule. The server's own
// webhooks are the operator's, not the host's: they are never
// redelivered here.
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) error {
	rm, err := s.lookup(r)
	if err != nil {
		return err
	}
	if !rm.IsHost(r.Header.Get(apitypes.HeaderHostKey)) {
		return problem(apitypes.CodeForbidden, "only the room's host may redeliver its webhooks; run this where the room was created, or pass --host-key")
	}
	var req apitypes.RedeliverRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	if req.ID < 0 {
		return problem(apitypes.CodeInvalidArgument, "a delivery id is a positive number, as rooms webhooks ROOM lists them")
	}
	items, err := s.cfg.Store.Deliveries(r.Context(), rm.ID, 1000)
	if err != nil {
		return err
	}
	var ids []int64
	for _, it := range items {
		if it.Channel != "webhook" || slices.Contains(s.serverWebhooks(), it.Recipient) {
			continue
		}
		if (req.ID == 0 && it.State == store.OutboxDead) || it.ID == req.ID {
			ids = append(ids, it.ID)
		}
	}
	if req.ID != 0 && len(ids) == 0 {
		return problem(apitypes.CodeNotFound, "this room has no webhook delivery %d; rooms webhooks ROOM lists its deliveries and their ids", req.ID)
	}
	n, err := s.cfg.Store.Redeliver(r.Context(), rm.ID, ids, s.now())
	if err != nil {
		return err
	}
	if req.ID != 0 && n == 0 {
		return problemStatus(http.StatusConflict, apitypes.CodeUnavailable, "delivery %d is being attempted right now; see how it went with rooms webhooks ROOM", req.ID)
	}
	if n > 0 {
		target := "dead"
		if req.ID != 0 {
			target = strconv.FormatInt(req.ID, 10)
		}
		s.audit(r, auditRedeliver, rm, target)
		s.cfg.Notifier.Wake()
	}
	return writeJSON(w, http.StatusOK, apitypes.RedeliverResult{Redelivered: n})
}
