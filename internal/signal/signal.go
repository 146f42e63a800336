// Package signal turns a WebSocket into a participant of a call: it sends
// the challenge, checks the join signature, hands the participant to the
// call hub and pumps bounded, rate-limited JSON messages both ways.
package signal

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Bounds of a connection.
const (
	joinTimeout  = 10 * time.Second
	writeTimeout = 10 * time.Second
	pingEvery    = 25 * time.Second
	// sendQueue bounds messages waiting for a slow client; past it the
	// client is disconnected rather than holding memory for it.
	sendQueue = 512
)

// Handler serves the signalling WebSocket of a room.
type Handler struct {
	Hub     *call.Hub
	Log     *slog.Logger
	Version string
	// JoinTimeout bounds the wait for the join message; 0 means 10 s.
	JoinTimeout time.Duration
	// Origins says which server origins a join signature may name; the
	// zero Policy takes only loopback names.
	Origins origin.Policy
	// Limits bound connections per client address and in all; the zero
	// value bounds nothing (the server passes its configured ones).
	Limits Limits
	// Now is the clock pacing joins; nil means time.Now.
	Now func() time.Time

	conns     sync.WaitGroup
	trackOnce sync.Once
	track     *tracker
}

// Wait waits until every connection's goroutines have stopped, or ctx
// ends: the server calls it after closing the calls, before the store.
func (h *Handler) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP upgrades the request and runs the participant until it leaves.
// Serve it behind internal/api's middleware: that resolves the client's
// address (clientaddr) and refuses a Host roomsd does not answer to and an
// Origin that is not roomsd's own, the one rule for pages and calls, so
// the WebSocket library's own Origin check is off here.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	release, ok := h.admit(w, r)
	if !ok {
		return
	}
	defer release()
	h.conns.Add(1)
	defer h.conns.Done()
	roomID := r.PathValue("id")
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{api.SignalProtocol}, InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered the request
	}
	if ws.Subprotocol() != api.SignalProtocol {
		ws.Close(websocket.StatusPolicyViolation, "unsupported protocol: speak "+api.SignalProtocol)
		return
	}
	ws.SetReadLimit(api.MaxSignalMessage)
	c := &conn{ws: ws, out: make(chan api.Message, sendQueue), done: make(chan struct{})}
	// The address the API's middleware resolved (clientaddr), as its
	// request logs, rate limits and audit lines name it: the call's host
	// actions are audited and its knocks limited by the same one.
	c.addr = clientaddr.From(r).String()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writeLoop(ctx)
	}()
	h.run(ctx, c, roomID, h.candidates(r))
	// Let the writer flush what is queued (a refusal, say) and close.
	c.Close("bye")
	wg.Wait()
}

func (h *Handler) run(ctx context.Context, c *conn, roomID string, origins []string) {
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("room", room.LogID(roomID))
	challenge := make([]byte, 32)
	_, _ = rand.Read(challenge)
	ch := base64.RawURLEncoding.EncodeToString(challenge)
	c.Send(mustEncode(api.MsgHello, api.Hello{Protocol: api.SignalProtocol, Challenge: ch, Server: h.Version}))

	timeout := h.JoinTimeout
	if timeout == 0 {
		timeout = joinTimeout
	}
	jctx, cancel := context.WithTimeout(ctx, timeout)
	m, err := c.read(jctx)
	cancel()
	var bad *badMessage
	switch {
	case errors.As(err, &bad):
		c.fail(api.CodeInvalidArgument, bad.Error())
		return
	case err != nil:
		c.fail(api.CodeInvalidArgument, "no join message within "+timeout.String())
		return
	}
	if m.Type != api.MsgJoin {
		c.fail(api.CodeInvalidArgument, "the first message must be a join")
		return
	}
	var j api.Join
	if err := json.Unmarshal(m.Data, &j); err != nil {
		c.fail(api.CodeInvalidArgument, "join is not valid JSON")
		return
	}
	if err := checkJoin(origins, roomID, ch, &j); err != nil {
		c.fail(api.CodeInvalidArgument, err.Error())
		return
	}
	if !room.ValidID(roomID) {
		c.fail(api.CodeRoomNotFound, "no room has that link")
		return
	}
	joiner := call.Joiner{Name: j.Name, PublicKey: j.PublicKey, HostKey: j.HostKey, Rejoin: j.Rejoin, Knock: j.Knock, Addr: c.addr}
	var s *call.Session
	read := c.read
	if j.Knock {
		s, read, err = h.joinKnocking(ctx, c, roomID, joiner)
	} else {
		s, err = h.Hub.Join(ctx, roomID, joiner, c)
	}
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return // a knocker that went away is told nothing
		}
		code, msg := call.Code(err)
		if code == api.CodeInternal {
			log.Error("join", "err", err)
		}
		se := api.SignalError{Code: code, Message: msg, Fatal: true}
		var nyo *room.NotOpenYetError
		if errors.As(err, &nyo) {
			at := nyo.At.UTC()
			se.OpensAt = &at
		}
		c.Send(mustEncode(api.MsgError, se))
		c.Close(msg)
		return
	}

	lim := rate.NewLimiter(api.SignalRatePerSecond, api.SignalBurst)
	left := false
	for {
		m, err := read(ctx)
		if errors.As(err, &bad) {
			if !lim.Allow() {
				c.fail(api.CodeRateLimited, "too many messages; slow down")
				break
			}
			c.Send(mustEncode(api.MsgError, api.SignalError{Code: api.CodeInvalidArgument, Message: bad.Error()}))
			continue
		}
		if err != nil {
			break
		}
		if !lim.Allow() {
			c.fail(api.CodeRateLimited, "too many messages; slow down")
			break
		}
		if m.Type == api.MsgLeave {
			left = true
		}
		if err := s.Handle(ctx, m); err != nil {
			log.Debug("message refused", "participant", s.ID(), "type", m.Type, "err", err)
			c.Send(mustEncode(api.MsgError, api.SignalError{Code: api.CodeInvalidArgument, Message: err.Error()}))
		}
		if left {
			return
		}
	}
	s.Disconnected()
}

// checkJoin validates the join's fields and its signature over the
// challenge, which proves the client holds the key a ban would name, and
// that it dialled this server (one of origins) rather than a server that
// relays the challenge.
func checkJoin(origins []string, roomID, challenge string, j *api.Join) error {
	j.Name = strings.TrimSpace(j.Name)
	if err := checkName(j.Name); err != nil {
		return err
	}
	pub, err := base64.RawURLEncoding.DecodeString(j.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return errors.New("public_key must be an ed25519 key in unpadded base64url")
	}
	sig, err := base64.RawURLEncoding.DecodeString(j.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("signature must be an ed25519 signature in unpadded base64url")
	}
	for _, o := range origins {
		if ed25519.Verify(pub, api.JoinSignedText(o, roomID, challenge), sig) {
			return nil
		}
	}
	return errors.New("the join signature does not match this server and challenge (a client older than this server signs differently: update it)")
}

func mustEncode(t api.MessageType, v any) api.Message {
	m, err := api.Encode(t, v)
	if err != nil {
		panic(fmt.Sprintf("encode %s: %v", t, err)) // only our own fixed types are encoded
	}
	return m
}

// checkName says why a join's display name (trimmed) is refused: empty,
// too long, or holding what no screen should show from someone else
// (safetext.Check names the character).
func checkName(name string) error {
	if name == "" {
		return errors.New("a name is needed to join")
	}
	if utf8.RuneCountInString(name) > api.MaxNameRunes {
		return fmt.Errorf("names are at most %d characters", api.MaxNameRunes)
	}
	if err := safetext.Check(name); err != nil {
		return fmt.Errorf("the name holds %v, which could disguise text on other people's screens; choose a name without it", err)
	}
	return nil
}

// conn is a call.Conn over a WebSocket: a bounded queue drained by one
// writer goroutine, so a slow client never blocks the call.
type conn struct {
	ws   *websocket.Conn
	addr string // the client's address, for the audit trail
	out  chan api.Message
	once sync.Once
	done chan struct{}
	mu   sync.Mutex
	why  string
}

// Send queues m; a full queue means the client cannot keep up and is cut.
func (c *conn) Send(m api.Message) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.out <- m:
		return true
	default:
		c.Close("too slow to keep up with the call")
		return false
	}
}

// Close sends what is queued, then closes with reason.
func (c *conn) Close(reason string) {
	c.once.Do(func() {
		c.mu.Lock()
		c.why = reason
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *conn) fail(code api.Code, msg string) {
	c.Send(mustEncode(api.MsgError, api.SignalError{Code: code, Message: msg, Fatal: true}))
	c.Close(msg)
}

// badMessage is a message that arrived whole but is not the protocol's.
type badMessage struct{ why string }

func (b *badMessage) Error() string { return b.why }

func (c *conn) read(ctx context.Context) (api.Message, error) {
	var m api.Message
	typ, data, err := c.ws.Read(ctx)
	if err != nil {
		return m, err
	}
	return decode(typ, data)
}

// decode reads one WebSocket message as a protocol message.
func decode(typ websocket.MessageType, data []byte) (api.Message, error) {
	var m api.Message
	if typ != websocket.MessageText {
		return m, &badMessage{"binary messages are not part of the protocol"}
	}
	if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
		return m, &badMessage{"a message must be a JSON object with a type"}
	}
	return m, nil
}

// writeLoop writes queued messages until the connection closes or ctx
// ends, then closes the WebSocket with the reason.
func (c *conn) writeLoop(ctx context.Context) {
	write := func(m api.Message) error {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		defer cancel()
		return c.ws.Write(wctx, websocket.MessageText, b)
	}
	// Pings keep proxies from cutting a quiet call and find dead peers.
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.ws.Ping(pctx)
			cancel()
			if err != nil {
				c.Close("no answer to ping")
				c.ws.CloseNow()
				return
			}
		case m := <-c.out:
			if write(m) != nil {
				c.Close("write failed")
				c.ws.CloseNow()
				return
			}
		case <-c.done:
			for {
				select {
				case m := <-c.out:
					if write(m) != nil {
						c.ws.CloseNow()
						return
					}
					continue
				default:
				}
				break
			}
			c.mu.Lock()
			why := c.why
			c.mu.Unlock()
			if len(why) > 120 {
				why = why[:120]
			}
			c.ws.Close(websocket.StatusNormalClosure, why)
			return
		case <-ctx.Done():
			c.ws.CloseNow()
			return
		}
	}
}
