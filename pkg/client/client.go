// Package client is the Go SDK for roomsd: a REST client for rooms, and
// (with the media work) calls. It knows nothing of terminals.
package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// ErrUnreachable means roomsd did not answer at all: not running, wrong
// address, or the network is down.
var ErrUnreachable = errors.New("server unreachable")

// maxResponseBytes bounds what the client reads from a response.
const maxResponseBytes = 4 << 20

// Client talks to one roomsd.
type Client struct {
	base        *url.URL
	http        *http.Client
	createToken string
	userAgent   string
	key         ed25519.PrivateKey
}

// Option tunes a Client.
type Option func(*Client)

// WithHTTPClient replaces the default HTTP client (30 s timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithCreateToken sets the token a non-loopback roomsd needs to create rooms.
func WithCreateToken(tok string) Option { return func(c *Client) { c.createToken = tok } }

// WithKey signs requests with the client's identity, which handles and
// inboxes are bound to.
func WithKey(k ed25519.PrivateKey) Option { return func(c *Client) { c.key = k } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client for the roomsd at server, an http(s) URL.
func New(server string, opts ...Option) (*Client, error) {
	u, err := ParseServer(server)
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, http: &http.Client{Timeout: 30 * time.Second}, userAgent: "rooms-go-client"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// ParseServer checks a server address, accepting "host:port" as http.
func ParseServer(server string) (*url.URL, error) {
	s := strings.TrimRight(strings.TrimSpace(server), "/")
	if s == "" {
		return nil, errors.New("no server given")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("server %q is not an http(s) URL such as http://127.0.0.1:7880", server)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// Server is the base URL the client talks to.
func (c *Client) Server() string { return c.base.String() }

// Origin is the server's origin as signatures name it (scheme://host[:port]).
func (c *Client) Origin() string {
	o, err := api.CanonicalOrigin(c.base.String())
	if err != nil {
		return c.base.Scheme + "://" + c.base.Host // New checked base; not reached
	}
	return o
}

// sign sets the Rooms-Auth header on req, whose body is body, when the
// client has a key.
func (c *Client) sign(req *http.Request, body []byte) {
	if c.key == nil {
		return
	}
	req.Header.Set(api.HeaderAuth, api.SignAuth(c.key, api.AuthRequest{
		Origin: c.Origin(), Method: req.Method, Target: req.URL.RequestURI(), Body: body,
	}, time.Now()))
}

// Info describes the server.
func (c *Client) Info(ctx context.Context) (api.ServerInfo, error) {
	var out api.ServerInfo
	err := c.do(ctx, http.MethodGet, "/v1/info", nil, "", &out)
	return out, err
}

// Themes lists the server's themes.
func (c *Client) Themes(ctx context.Context) ([]api.Theme, error) {
	var out api.ThemeList
	err := c.do(ctx, http.MethodGet, "/v1/themes", nil, "", &out)
	return out.Themes, err
}

// CreateRoom creates a room; the result carries its host key.
func (c *Client) CreateRoom(ctx context.Context, req api.CreateRoomRequest) (api.Room, error) {
	var out api.Room
	err := c.do(ctx, http.MethodPost, "/v1/rooms", req, "", &out)
	return out, err
}

// GetRoom returns the room with this id.
func (c *Client) GetRoom(ctx context.Context, id string) (api.Room, error) {
	var out api.Room
	err := c.do(ctx, http.MethodGet, "/v1/rooms/"+url.PathEscape(id), nil, "", &out)
	return out, err
}

// GetRoomAsHost returns the room with what only its host sees: who is
// invited and how each is told.
func (c *Client) GetRoomAsHost(ctx context.Context, id, hostKey string) (api.Room, error) {
	var out api.Room
	err := c.do(ctx, http.MethodGet, "/v1/rooms/"+url.PathEscape(id), nil, hostKey, &out)
	return out, err
}

// ListRooms returns the server's public directory.
func (c *Client) ListRooms(ctx context.Context) ([]api.Room, error) {
	var out api.RoomList
	err := c.do(ctx, http.MethodGet, "/v1/rooms", nil, "", &out)
	return out.Rooms, err
}

// MyRooms returns the rooms these host keys open.
func (c *Client) MyRooms(ctx context.Context, refs []api.HostKeyRef) ([]api.Room, error) {
	var out api.RoomList
	err := c.do(ctx, http.MethodPost, "/v1/rooms/mine", api.MineRequest{Rooms: refs}, "", &out)
	return out.Rooms, err
}

// UpdateRoom changes a room as its host.
func (c *Client) UpdateRoom(ctx context.Context, id, hostKey string, req api.UpdateRoomRequest) (api.Room, error) {
	var out api.Room
	err := c.do(ctx, http.MethodPatch, "/v1/rooms/"+url.PathEscape(id), req, hostKey, &out)
	return out, err
}

// EndRoom ends a room for everyone, as its host.
func (c *Client) EndRoom(ctx context.Context, id, hostKey string) (api.Room, error) {
	var out api.Room
	err := c.do(ctx, http.MethodPost, "/v1/rooms/"+url.PathEscape(id)+"/end", nil, hostKey, &out)
	return out, err
}

// do sends one request. Problems come back as *api.Problem; a server that
// does not answer as an error wrapping ErrUnreachable.
func (c *Client) do(ctx context.Context, method, path string, body any, hostKey string, out any) error {
	var rd io.Reader
	var raw []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		raw = b
		rd = bytes.NewReader(b)
	}
	u := *c.base
	p, query, _ := strings.Cut(path, "?")
	u.Path += p
	u.RawQuery = query
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if hostKey != "" {
		req.Header.Set(api.HeaderHostKey, hostKey)
	}
	c.sign(req, raw)
	if c.createToken != "" && method == http.MethodPost && path == "/v1/rooms" {
		req.Header.Set(api.HeaderCreateToken, c.createToken)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var netErr net.Error
		var opErr *net.OpError
		if errors.As(err, &opErr) || errors.As(err, &netErr) {
			return fmt.Errorf("%w: %s: %w", ErrUnreachable, c.base.Host, err)
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("%w: read response from %s: %w", ErrUnreachable, c.base.Host, err)
	}
	if resp.StatusCode >= 400 {
		p := &api.Problem{}
		if json.Unmarshal(data, p) != nil || p.Code == "" {
			return fmt.Errorf("%s %s: the server at %s answered HTTP %d and not as roomsd does; is --server right?", method, path, c.base.Host, resp.StatusCode)
		}
		p.Status = resp.StatusCode
		return p
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: the server at %s answered something that is not roomsd's JSON; is --server right? (%w)", method, path, c.base.Host, err)
		}
	}
	return nil
}

// Participants lists who is in a room's call.
func (c *Client) Participants(ctx context.Context, id string) ([]api.Participant, error) {
	var out api.ParticipantList
	err := c.do(ctx, http.MethodGet, "/v1/rooms/"+url.PathEscape(id)+"/participants", nil, "", &out)
	return out.Participants, err
}

// RemoveParticipant takes someone (by id or name) out of a room's call for
// good, as its host.
func (c *Client) RemoveParticipant(ctx context.Context, id, hostKey, who string) (api.Participant, error) {
	var out api.Participant
	err := c.do(ctx, http.MethodPost, "/v1/rooms/"+url.PathEscape(id)+"/participants/"+url.PathEscape(who)+"/remove", nil, hostKey, &out)
	return out, err
}
