package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/signal"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Signal is the call connection handler of a node: a connection for a
// call this node runs (or is placed on now) goes to the local signalling;
// one for a call another node runs is proxied to that node. Proxying
// (rather than redirecting the client) keeps every client, the browser
// included, talking to the one address it dialled: a load balancer in
// front of the nodes needs no stickiness, and a client whose call moved
// reconnects through the same address. Only the signalling goes through
// this node; media goes from the client to the owner's media port, whose
// addresses the owner's SDP names.
func (n *Node) Signal() http.Handler { return http.HandlerFunc(n.serveSignal) }

func (n *Node) serveSignal(w http.ResponseWriter, r *http.Request) {
	roomID := r.PathValue("id")
	from, err := n.sign.verify(r)
	switch {
	case errors.Is(err, errNoAuth):
	case err != nil:
		writeProblem(w, http.StatusForbidden, api.CodeForbidden, err.Error())
		return
	default:
		n.serveProxied(w, r, from, roomID)
		return
	}
	if !room.ValidID(roomID) {
		n.cfg.Signal.ServeHTTP(w, r) // refused there, as on one node
		return
	}
	// A room that does not exist is refused here too, before it takes a
	// lease row.
	if _, err := n.cfg.Rooms.GetRoom(r.Context(), roomID); errors.Is(err, store.ErrNotFound) {
		n.cfg.Signal.ServeHTTP(w, r)
		return
	}
	// Until the owner answers or its lease runs out: a client whose call
	// was on a node that died waits here while the call is placed again.
	deadline := time.Now().Add(n.cfg.LeaseTTL + 2*n.cfg.Heartbeat)
	for {
		l, err := n.place(r.Context(), roomID)
		if errors.Is(err, store.ErrNoNode) {
			writeProblem(w, http.StatusServiceUnavailable, api.CodeUnavailable, "no node of this cluster takes new calls now (all draining?); try again shortly")
			return
		}
		if err != nil {
			n.log.Error("place a call", "room", room.LogID(roomID), "err", err)
			writeProblem(w, http.StatusServiceUnavailable, api.CodeUnavailable, "the call cannot be placed now; try again shortly")
			return
		}
		if l.Node.ID == n.cfg.ID {
			n.cfg.Signal.ServeHTTP(w, r)
			return
		}
		done, err := n.proxy(w, r, l.Node, roomID)
		if done {
			return
		}
		if time.Now().After(deadline) || r.Context().Err() != nil {
			n.log.Warn("the node running a call does not answer", "room", room.LogID(roomID), "owner", l.Node.ID, "err", err)
			writeProblem(w, http.StatusServiceUnavailable, api.CodeUnavailable, "the node running this call does not answer; try again shortly")
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(n.cfg.Heartbeat / 2):
		}
	}
}

// serveProxied serves a call connection another node proxied here: the
// client address and the origins are the ones that node saw, and the
// call must be this node's (it claims the lease when nobody holds it).
func (n *Node) serveProxied(w http.ResponseWriter, r *http.Request, from, roomID string) {
	if room.ValidID(roomID) {
		l, err := n.cfg.Cluster.ClaimCall(r.Context(), roomID, n.cfg.ID, n.cfg.LeaseTTL)
		if err != nil {
			n.log.Error("claim a call", "room", room.LogID(roomID), "err", err)
			writeProblem(w, http.StatusServiceUnavailable, api.CodeUnavailable, "the call cannot be placed now; try again shortly")
			return
		}
		if l.Node.ID != n.cfg.ID {
			writeProblem(w, http.StatusServiceUnavailable, api.CodeUnavailable, "the call moved to another node; try again")
			return
		}
	}
	ctx := r.Context()
	c := clientaddr.Client{}
	addr, https, _ := strings.Cut(r.Header.Get(HeaderClient), " ")
	if a, err := netip.ParseAddr(addr); err == nil {
		c.Addr = a
	}
	c.HTTPS = https == "https"
	ctx = clientaddr.With(ctx, c)
	ctx = signal.WithOrigins(ctx, strings.Fields(r.Header.Get(HeaderOrigins)))
	n.log.Debug("proxied call connection", "from", from, "room", room.LogID(roomID))
	n.cfg.Signal.ServeHTTP(w, r.WithContext(ctx))
}

// proxy dials the owner's signalling for the client and, once it
// answers, accepts the client's WebSocket and copies messages both ways
// until either side closes. done is false when the owner could not be
// reached (nothing was written to w: the caller may try again).
func (n *Node) proxy(w http.ResponseWriter, r *http.Request, owner store.Node, roomID string) (done bool, _ error) {
	u, err := url.Parse(owner.URL)
	if err != nil {
		return false, fmt.Errorf("node %s has a bad URL %q: %w", owner.ID, owner.URL, err)
	}
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path = strings.TrimRight(u.Path, "/") + "/r/" + url.PathEscape(roomID)
	c := clientaddr.From(r)
	h := http.Header{}
	scheme := "http"
	if c.HTTPS {
		scheme = "https"
	}
	h.Set(HeaderClient, c.String()+" "+scheme)
	h.Set(HeaderOrigins, strings.Join(n.cfg.Origins.Candidates(r), " "))
	n.sign.sign(h, http.MethodGet, u.Path)
	dctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	up, resp, err := websocket.Dial(dctx, u.String(), &websocket.DialOptions{
		Subprotocols: []string{api.SignalProtocol}, HTTPHeader: h, HTTPClient: n.client})
	cancel()
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			// The owner refused (a cap, a bad room): the client hears it.
			relayRefusal(w, resp)
			return true, nil
		}
		return false, err
	}
	defer up.CloseNow()
	up.SetReadLimit(api.MaxSignalMessage)
	down, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{api.SignalProtocol}, InsecureSkipVerify: true})
	if err != nil {
		return true, nil // Accept answered the request
	}
	defer down.CloseNow()
	if down.Subprotocol() != api.SignalProtocol {
		down.Close(websocket.StatusPolicyViolation, "unsupported protocol: speak "+api.SignalProtocol)
		up.Close(websocket.StatusNormalClosure, "client left")
		return true, nil
	}
	down.SetReadLimit(api.MaxSignalMessage)
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); defer stop(); pipe(ctx, down, up) }()
	go func() { defer wg.Done(); defer stop(); pipe(ctx, up, down) }()
	wg.Wait()
	return true, nil
}

// pipe copies messages from src to dst until src fails, then closes dst
// the way src closed (a removal's reason reaches the client), or at once
// when src broke without a close.
func pipe(ctx context.Context, src, dst *websocket.Conn) {
	for {
		typ, b, err := src.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				dst.Close(ce.Code, ce.Reason)
			} else {
				dst.CloseNow()
			}
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = dst.Write(wctx, typ, b)
		cancel()
		if err != nil {
			src.CloseNow()
			return
		}
	}
}

// relayRefusal passes the owner's refusal of a call connection (an HTTP
// problem) on to the client.
func relayRefusal(w http.ResponseWriter, resp *http.Response) {
	defer resp.Body.Close()
	var p api.Problem
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&p) != nil || p.Code == "" {
		writeProblem(w, http.StatusBadGateway, api.CodeUnavailable, "the node running this call refused the connection")
		return
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	writeProblem(w, resp.StatusCode, p.Code, p.Detail)
}

func writeProblem(w http.ResponseWriter, status int, code api.Code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(api.Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Code: code, Detail: detail})
}
