package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/cluster"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/store"
)

// nodeID is --node-id, else this host's name and the listen port: stable
// across restarts, so a node back after a crash takes up its own leases.
func (c *Config) nodeID() string {
	if c.NodeID != "" {
		return c.NodeID
	}
	_, port, _ := net.SplitHostPort(c.Listen)
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "roomsd"
	}
	return host + ":" + port
}

// nodeURL is --node-url, else the URL of the listen address (this host's
// name when it listens on every interface): where the other nodes reach
// this one.
func (c *Config) nodeURL() string {
	if c.NodeURL != "" {
		return c.NodeURL
	}
	scheme := "http"
	if c.TLS.On() {
		scheme = "https"
	}
	return scheme + "://" + c.advertisedHost()
}

// checkNodeID says what is wrong with --node-id ("" is the default).
func checkNodeID(id string) error {
	if len(id) > 64 || strings.ContainsAny(id, " \t\r\n") {
		return fmt.Errorf("--node-id %q: give 1-64 characters without spaces", id)
	}
	return nil
}

// checkNodeURL says what is wrong with --node-url.
func checkNodeURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("--node-url %q must be an http(s) URL of this node alone, such as http://10.0.0.2:7880", s)
	}
	return nil
}

// startNode joins the cluster when the store is shared (PostgreSQL): the
// node's registration, its leases, its proxy of other nodes' calls.
// SQLite is one node: nil.
func startNode(ctx context.Context, cfg Config, st store.Store, hub *call.Hub, local http.Handler, origins origin.Policy, media *sfu.SFU, log *slog.Logger) (*cluster.Node, error) {
	cl, ok := st.(store.Cluster)
	if !ok {
		return nil, nil
	}
	host := "127.0.0.1"
	if len(cfg.PublicIPs) > 0 {
		host = cfg.PublicIPs[0]
	} else if h, _, _ := net.SplitHostPort(cfg.UDPAddr()); h != "" {
		host = h
	} else if name, err := os.Hostname(); err == nil {
		host = name
	}
	return cluster.New(ctx, cluster.Config{
		Cluster: cl, Rooms: st, Hub: hub, Signal: local, Origins: origins,
		ID: cfg.nodeID(), URL: cfg.nodeURL(), Media: net.JoinHostPort(host, strconv.Itoa(media.UDPPort())),
		Log: log, Heartbeat: cfg.nodeHeartbeat, LeaseTTL: cfg.nodeLeaseTTL,
	})
}

// withNodeCalls serves the node-to-node calls next to the API: the
// node-to-node calls, and call connections another node proxied here
// (signed: checked by the node), which skip the API's per-address rate
// limit and guard — they all come from the proxying node's address, which
// applied both to the client already, and this node's call caps count
// them by the client's address.
func withNodeCalls(h http.Handler, node *cluster.Node) http.Handler {
	if node == nil {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle(cluster.RPCPath, node.Handler())
	sig := node.Signal()
	mux.Handle("GET /r/{id}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(cluster.HeaderAuth) != "" {
			sig.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	mux.Handle("/", h)
	return mux
}

// nodeHosts is the --node-url's host name, which other nodes name in Host
// when they call this one.
func nodeHosts(cfg Config, node *cluster.Node) []string {
	if node == nil {
		return nil
	}
	u, err := url.Parse(cfg.nodeURL())
	if err != nil {
		return nil
	}
	return []string{u.Hostname()}
}
