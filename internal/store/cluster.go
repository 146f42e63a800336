package store

import (
	"context"
	"errors"
	"time"
)

// Cluster is what several roomsd sharing one database need of it: a
// registry of the nodes that are up, a lease per live call naming the
// node it runs on, a shared signing secret, and a way to tell every node
// something at once. Postgres implements it; SQLite does not (one file,
// one process: a single node), and a server whose store is not a Cluster
// runs alone as before.
type Cluster interface {
	// Heartbeat registers n or refreshes its row (load, draining, seen
	// now by the database's clock).
	Heartbeat(ctx context.Context, n Node) error
	// Deregister removes a node and the leases it holds (a clean stop).
	Deregister(ctx context.Context, nodeID string) error
	// Nodes lists the nodes seen within stale, draining ones included.
	Nodes(ctx context.Context, stale time.Duration) ([]Node, error)
	// PlaceCall returns the node a room's call runs on: the holder of a lease
	// that has not expired, else the least loaded node seen within stale
	// and not draining, which gets a lease for ttl. ErrNoNode when none.
	PlaceCall(ctx context.Context, roomID string, stale, ttl time.Duration) (CallLease, error)
	// ClaimCall gives nodeID the lease of a room unless another node holds
	// one that has not expired; it returns the lease in force either way.
	ClaimCall(ctx context.Context, roomID, nodeID string, ttl time.Duration) (CallLease, error)
	// RenewCalls extends nodeID's leases of the rooms in live (room id to
	// participants) by ttl and drops its leases of other rooms placed
	// more than ttl ago (placed, but the call never started or ended).
	RenewCalls(ctx context.Context, nodeID string, live map[string]int, ttl time.Duration) error
	// CallLeases lists the leases that have not expired.
	CallLeases(ctx context.Context) ([]CallLease, error)
	// ClusterSecret is the key nodes sign node-to-node requests with,
	// made once by whichever node asks first.
	ClusterSecret(ctx context.Context, make func() []byte) ([]byte, error)
	// ClusterNotify tells every node listening on channel.
	ClusterNotify(ctx context.Context, channel, payload string) error
	// ClusterListen calls fn with each payload notified on channel until ctx
	// ends, reconnecting after a lost connection; ready (if not nil) is
	// called each time it listens.
	ClusterListen(ctx context.Context, channel string, ready func(), fn func(payload string)) error
}

// Node is a roomsd in a cluster.
type Node struct {
	ID string
	// URL is where other nodes reach its HTTP side (node-to-node calls
	// and proxied signalling).
	URL string
	// Media is where its media port is (host:port), for operators.
	Media        string
	Participants int
	Calls        int
	Draining     bool
	StartedAt    time.Time
	SeenAt       time.Time
}

// CallLease says which node a room's call runs on, until when.
type CallLease struct {
	RoomID       string
	Node         Node
	Participants int
	ExpiresAt    time.Time
}

// ErrNoNode means no live node may take a call.
var ErrNoNode = errors.New("no live roomsd node can take the call")
