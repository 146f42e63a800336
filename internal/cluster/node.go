// Package cluster runs a roomsd as one node of several sharing a
// PostgreSQL store: it registers the node and heartbeats, places each
// call on the least loaded live node under a lease its owner renews,
// proxies the signalling of a call that runs elsewhere to its owner,
// carries host actions to the owner (a node-to-node call for those that
// answer, LISTEN/NOTIFY for room changes), and labels metrics by node.
package cluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// Defaults of the timing: a heartbeat (and lease renewal) a second, a
// lease and a node's registration good for five: a node killed under a
// call loses it within five seconds, and its participants are placed
// again on another node.
const (
	DefaultHeartbeat = time.Second
	DefaultLeaseTTL  = 5 * time.Second
)

// channelRoom is the LISTEN/NOTIFY channel room changes go out on:
// "changed NODE ROOM" or "ending NODE ROOM UNIXNANO".
const channelRoom = "rooms_node_room"

// Config is what a node needs.
type Config struct {
	Cluster store.Cluster
	Rooms   store.Store
	Hub     *call.Hub
	// Signal serves a call connection locally (signal.Handler).
	Signal http.Handler
	// Origins is this node's origin policy, whose candidates a proxied
	// join is checked against at the owner.
	Origins origin.Policy
	// ID names the node; URL is where other nodes reach its HTTP side;
	// Media is its media address, for operators.
	ID, URL, Media string
	Log            *slog.Logger
	// Heartbeat and LeaseTTL; zero means the defaults.
	Heartbeat, LeaseTTL time.Duration
	// HTTPClient makes node-to-node calls; nil means one with a timeout.
	HTTPClient *http.Client
}

// Node is this roomsd in the cluster.
type Node struct {
	cfg    Config
	log    *slog.Logger
	sign   signer
	client *http.Client

	draining atomic.Bool
	// leases are the live leases as of the last heartbeat (room id to
	// lease), for counts on rendered rooms.
	leases atomic.Pointer[map[string]store.CallLease]

	// beats counts heartbeats, for tests and metrics.
	beats atomic.Int64
	// lastErr logs a failing heartbeat once until it recovers.
	mu      sync.Mutex
	lastErr string
}

// New registers the node (its first heartbeat) and reads the cluster
// secret.
func New(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = DefaultLeaseTTL
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ID == "" || strings.ContainsAny(cfg.ID, " \t\r\n") || len(cfg.ID) > 64 {
		return nil, fmt.Errorf("--node-id %q: give 1-64 characters without spaces", cfg.ID)
	}
	secret, err := cfg.Cluster.ClusterSecret(ctx, func() []byte {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return b
	})
	if err != nil {
		return nil, err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	n := &Node{cfg: cfg, log: cfg.Log.With("node", cfg.ID), client: client,
		sign: signer{secret: secret, node: cfg.ID, now: time.Now}}
	empty := map[string]store.CallLease{}
	n.leases.Store(&empty)
	if err := n.beat(ctx); err != nil {
		return nil, fmt.Errorf("register node %s: %w", cfg.ID, err)
	}
	n.log.Info("node registered: calls are placed across the nodes on this database", "node_url", cfg.URL, "media", cfg.Media)
	return n, nil
}

// ID is the node's id.
func (n *Node) ID() string { return n.cfg.ID }

// Run heartbeats, renews the leases of this node's calls and hears room
// changes from other nodes until ctx ends.
func (n *Node) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = n.cfg.Cluster.ClusterListen(ctx, channelRoom, nil, func(p string) { n.heard(ctx, p) })
	}()
	t := time.NewTicker(n.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
		bctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL)
		err := n.beat(bctx)
		cancel()
		n.noteErr(err)
	}
}

func (n *Node) noteErr(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case err == nil && n.lastErr != "":
		n.log.Info("node heartbeat recovered")
		n.lastErr = ""
	case err != nil && err.Error() != n.lastErr:
		n.log.Warn("node heartbeat", "err", err)
		n.lastErr = err.Error()
	}
}

// beat is one heartbeat: the node's row, its leases renewed, the lease
// table read back.
func (n *Node) beat(ctx context.Context) error {
	live := n.cfg.Hub.Live()
	parts := 0
	for _, c := range live {
		parts += c
	}
	if err := n.cfg.Cluster.Heartbeat(ctx, store.Node{ID: n.cfg.ID, URL: n.cfg.URL, Media: n.cfg.Media,
		Participants: parts, Calls: len(live), Draining: n.draining.Load()}); err != nil {
		return err
	}
	if err := n.cfg.Cluster.RenewCalls(ctx, n.cfg.ID, live, n.cfg.LeaseTTL); err != nil {
		return err
	}
	ls, err := n.cfg.Cluster.CallLeases(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]store.CallLease, len(ls))
	for _, l := range ls {
		m[l.RoomID] = l
	}
	n.leases.Store(&m)
	n.beats.Add(1)
	n.fence(ctx, live, m)
	return nil
}

// Drain stops the node taking new calls (SIGTERM): placement skips it
// from now on; its calls go on until the server closes them.
func (n *Node) Drain(ctx context.Context) {
	n.draining.Store(true)
	if err := n.beat(ctx); err != nil {
		n.log.Warn("mark the node draining", "err", err)
	}
}

// Leave removes the node and its leases, so its calls are placed again at
// once rather than when the leases expire.
func (n *Node) Leave(ctx context.Context) error {
	return n.cfg.Cluster.Deregister(ctx, n.cfg.ID)
}

// owner is the lease of roomID in force now, read from the store, and
// whether there is one.
func (n *Node) owner(ctx context.Context, roomID string) (store.CallLease, bool, error) {
	ls, err := n.cfg.Cluster.CallLeases(ctx)
	if err != nil {
		return store.CallLease{}, false, err
	}
	for _, l := range ls {
		if l.RoomID == roomID {
			return l, true, nil
		}
	}
	return store.CallLease{}, false, nil
}

// place finds the node a call runs on, placing it if it runs nowhere.
func (n *Node) place(ctx context.Context, roomID string) (store.CallLease, error) {
	return n.cfg.Cluster.PlaceCall(ctx, roomID, n.cfg.LeaseTTL, n.cfg.LeaseTTL)
}

// notifyRoom tells the other nodes about a room.
func (n *Node) notifyRoom(kind, roomID string, extra ...string) {
	p := strings.Join(append([]string{kind, n.cfg.ID, roomID}, extra...), " ")
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.LeaseTTL)
	defer cancel()
	if err := n.cfg.Cluster.ClusterNotify(ctx, channelRoom, p); err != nil {
		n.log.Warn("tell the other nodes", "room", room.LogID(roomID), "err", err)
	}
}

// heard applies another node's notification to this node's calls.
func (n *Node) heard(ctx context.Context, payload string) {
	f := strings.Fields(payload)
	if len(f) < 3 || f[1] == n.cfg.ID || !room.ValidID(f[2]) {
		return
	}
	roomID := f[2]
	switch f[0] {
	case "changed":
		r, err := n.cfg.Rooms.GetRoom(ctx, roomID)
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if err != nil {
			n.log.Warn("read a room another node changed", "room", room.LogID(roomID), "err", err)
			return
		}
		n.cfg.Hub.RoomChanged(r)
	case "ending":
		if len(f) < 4 {
			return
		}
		var ns int64
		if _, err := fmt.Sscan(f[3], &ns); err != nil {
			return
		}
		n.cfg.Hub.EndingSoon(roomID, time.Unix(0, ns))
	}
}
