package client

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/pkg/api"
)

// conn is one signalling connection, with its reader and writer.
type conn struct {
	ws *websocket.Conn
	// out is what run sends; the writer writes it in order.
	out chan outbound
	// done is closed when run drops the connection: the reader then
	// hands nothing more to run and the writer stops.
	done chan struct{}
}

// outbound is a message for the writer.
type outbound struct {
	t api.MessageType
	v any
}

// inbound is what the reader read from c: a message, or why it stopped.
type inbound struct {
	c   *conn
	m   api.Message
	err error
}

// dialResult is the end of a reconnect's dial.
type dialResult struct {
	ws     *websocket.Conn
	joined api.Joined
	err    error
}

// maxQueued bounds the messages run has queued for a connection's writer:
// more means the network stalled, and the connection is dropped.
const maxQueued = 64

// dial dials the signalling WebSocket, proves the key and joins (or
// rejoins as participant rejoin). It touches no state of the call.
func (call *Call) dial(ctx context.Context, rejoin string) (*websocket.Conn, api.Joined, error) {
	var joined api.Joined
	u := *call.client.base
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path += "/r/" + url.PathEscape(call.roomID)
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	connect := dctx
	if rejoin != "" {
		var cancel context.CancelFunc
		connect, cancel = context.WithTimeout(dctx, redialConnect)
		defer cancel()
	}
	ws, resp, err := websocket.Dial(connect, u.String(), &websocket.DialOptions{Subprotocols: []string{api.SignalProtocol}, HTTPClient: call.opts.HTTPClient})
	if err != nil {
		if ctx.Err() != nil {
			return nil, joined, ctx.Err()
		}
		if resp != nil {
			var p api.Problem
			if json.NewDecoder(resp.Body).Decode(&p) == nil && p.Code != "" {
				return nil, joined, fmt.Errorf("the server at %s refused the call connection: %w", u.Host, &p)
			}
			return nil, joined, fmt.Errorf("the server at %s did not take a call connection (HTTP %d); is this a rooms link?", u.Host, resp.StatusCode)
		}
		return nil, joined, fmt.Errorf("%w: signalling at %s: %w", ErrUnreachable, u.Host, err)
	}
	ws.SetReadLimit(api.MaxSignalMessage)
	fail := func(err error) (*websocket.Conn, api.Joined, error) {
		ws.CloseNow()
		return nil, joined, err
	}
	var hello api.Hello
	if err := readTyped(dctx, ws, api.MsgHello, &hello); err != nil {
		return fail(fmt.Errorf("read hello: %w", err))
	}
	pub := call.opts.Key.Public().(ed25519.PublicKey)
	join := api.Join{
		Name:      call.opts.Name,
		PublicKey: base64.RawURLEncoding.EncodeToString(pub),
		Signature: base64.RawURLEncoding.EncodeToString(ed25519.Sign(call.opts.Key, api.JoinSignedText(call.client.Origin(), call.roomID, hello.Challenge))),
		HostKey:   call.opts.HostKey,
		Rejoin:    rejoin,
		Knock:     call.opts.Knock,
	}
	if err := write(dctx, ws, api.MsgJoin, join); err != nil {
		return fail(fmt.Errorf("send join: %w", err))
	}
	if err := call.readJoined(ctx, dctx, ws, &joined); err != nil {
		return fail(err)
	}
	return ws, joined, nil
}

// startConn starts the reader and writer of ws.
func (call *Call) startConn(ws *websocket.Conn) *conn {
	c := &conn{ws: ws, out: make(chan outbound, maxQueued), done: make(chan struct{})}
	call.wg.Add(3)
	go func() {
		defer call.wg.Done()
		call.reader(c)
	}()
	go func() {
		defer call.wg.Done()
		call.pinger(c)
	}()
	go func() {
		defer call.wg.Done()
		call.writer(c)
	}()
	return c
}

// reader hands what it reads from c to run, until c fails or the call
// ends. Once c is dropped it reads on without handing anything over, so
// that a closing handshake completes.
func (call *Call) reader(c *conn) {
	for {
		m, err := read(call.ctx, c.ws)
		select {
		case call.inbox <- inbound{c: c, m: m, err: err}:
		case <-c.done:
		case <-call.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// pinger pings the server on c every PingInterval: no answer within
// PingTimeout is a dead connection (a network cut leaves the socket open
// and the reader waiting forever), handed to run as c's failure, so the
// call rejoins rather than sitting in a call the server has dropped.
func (call *Call) pinger(c *conn) {
	t := time.NewTicker(call.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-c.done:
			return
		case <-call.ctx.Done():
			return
		}
		pctx, cancel := context.WithTimeout(call.ctx, call.opts.PingTimeout)
		err := c.ws.Ping(pctx)
		cancel()
		if err == nil {
			continue
		}
		err = fmt.Errorf("%w: no answer to a ping within %s: %w", ErrUnreachable, call.opts.PingTimeout, err)
		select {
		case call.inbox <- inbound{c: c, err: err}:
		case <-c.done:
		case <-call.ctx.Done():
		}
		c.ws.CloseNow()
		return
	}
}

// writer writes what run queues for c, in order; a failed write closes
// c, which its reader reports.
func (call *Call) writer(c *conn) {
	for {
		select {
		case o := <-c.out:
			if err := write(call.ctx, c.ws, o.t, o.v); err != nil {
				c.ws.CloseNow()
				return
			}
		case <-c.done:
			return
		case <-call.ctx.Done():
			return
		}
	}
}

// post queues a message for c's writer, run's way of sending: run never
// waits on the network. A full queue is a stalled connection: it is
// closed, and the reader reports it.
func (c *conn) post(t api.MessageType, v any) error {
	select {
	case c.out <- outbound{t: t, v: v}:
		return nil
	default:
		c.ws.CloseNow()
		return fmt.Errorf("send %s: the connection stalled (%d messages queued)", t, maxQueued)
	}
}

// send writes a message on the current connection from the caller's
// goroutine, for the public methods that return the write's error; a
// failure surfaces as a dropped connection in the reader.
func (call *Call) send(t api.MessageType, v any) error {
	var ws *websocket.Conn
	if !call.do(func() {
		if call.s.conn != nil {
			ws = call.s.conn.ws
		}
	}) {
		return errCallOver
	}
	if ws == nil {
		return errors.New("not connected")
	}
	return write(call.ctx, ws, t, v)
}

// errCallOver is a message sent once the call has ended.
var errCallOver = errors.New("the call is over")

// readTyped reads messages until one of type want (decoded into v) or an
// error message, which comes back as *api.SignalError.
func readTyped(ctx context.Context, ws *websocket.Conn, want api.MessageType, v any) error {
	for {
		m, err := read(ctx, ws)
		if err != nil {
			return err
		}
		switch m.Type {
		case want:
			return json.Unmarshal(m.Data, v)
		case api.MsgError:
			se := &api.SignalError{}
			if err := json.Unmarshal(m.Data, se); err != nil {
				return fmt.Errorf("read error message: %w", err)
			}
			return se
		}
	}
}

func read(ctx context.Context, ws *websocket.Conn) (api.Message, error) {
	var m api.Message
	_, data, err := ws.Read(ctx)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(data, &m)
}

func write(ctx context.Context, ws *websocket.Conn, t api.MessageType, v any) error {
	m, err := api.Encode(t, v)
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return ws.Write(wctx, websocket.MessageText, b)
}
