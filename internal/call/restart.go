package call

import (
	"encoding/json"
	"fmt"

	"github.com/rooms-dev/rooms/pkg/api"
)

// handleRestartICE asks the participant's peer for an ICE restart of its
// subscribe connection (api.MsgRestartICE).
func (s *Session) handleRestartICE(m api.Message) error {
	var r api.RestartICE
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return fmt.Errorf("read restart_ice: %w", err)
	}
	if r.PC != api.PCSubscribe {
		s.sendError(api.CodeInvalidArgument, "restart_ice is only for the subscribe connection, not %q: restart the publish connection with an offer of new ICE credentials", r.PC)
		return nil
	}
	peer := s.getPeer()
	if peer == nil {
		return fmt.Errorf("%s before joining", m.Type)
	}
	rs, ok := peer.(iceRestarter)
	if !ok {
		s.sendError(api.CodeInvalidArgument, "this server's media cannot restart ICE; reconnect instead")
		return nil
	}
	return s.refused(rs.RestartICE(r))
}

// iceRestarter is a Peer that restarts ICE (the SFU's does).
type iceRestarter interface {
	RestartICE(api.RestartICE) error
}
