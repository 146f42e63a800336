package cluster

import (
	"context"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// reasonMoved is what a released call's people are told as their
// connection closes; their clients reconnect through the address they
// dialled and land in the call where it runs now.
const reasonMoved = "the call moved to another node; reconnecting"

// lost lists the calls this node runs (live, as read before the
// heartbeat) whose lease in force now (leases, read back after renewing)
// names another node: a node that was paused (SIGSTOP, a VM frozen, a
// long stall) past its lease while another node placed the call again.
// Rooms in live with no lease in force are in missing: the lease expired
// and nobody took it, or its row went away.
func lost(self string, live map[string]int, leases map[string]store.CallLease) (lost, missing []string) {
	for id := range live {
		l, ok := leases[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case l.Node.ID != self:
			lost = append(lost, id)
		}
	}
	return lost, missing
}

// fence keeps one call per room across the cluster, after a heartbeat
// that succeeded: a call whose lease another node holds is released here
// (its people reconnect and join the other node's call), and one whose
// lease lapsed with nobody holding it is claimed back, or released if
// another node got it first. It cannot help a node cut off from the
// database: that node's heartbeats fail and it keeps its calls (see
// docs/operations.md, "What a cluster does not do").
func (n *Node) fence(ctx context.Context, live map[string]int, leases map[string]store.CallLease) {
	gone, missing := lost(n.cfg.ID, live, leases)
	owners := make(map[string]string, len(gone))
	for _, id := range gone {
		owners[id] = leases[id].Node.ID
	}
	for _, id := range missing {
		l, err := n.cfg.Cluster.ClaimCall(ctx, id, n.cfg.ID, n.cfg.LeaseTTL)
		if err != nil {
			n.log.Warn("claim back the lease of a call this node runs", "room", room.LogID(id), "err", err)
			continue
		}
		if l.Node.ID != n.cfg.ID {
			owners[id] = l.Node.ID
		}
	}
	for id, owner := range owners {
		if n.cfg.Hub.Release(id, reasonMoved) {
			n.log.Warn("this node lost the lease of a call it ran (paused or stalled past the lease?): its people reconnect to the node that runs it now",
				"room", room.LogID(id), "owner", owner)
		}
	}
}
