package signal_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/signal"
	"github.com/rooms-dev/rooms/internal/store"
	wire "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// frozenClock stands still until moved, so token buckets refill only when
// a test says so.
type frozenClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *frozenClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *frozenClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// guardedEnv is a server behind a proxy on 127.0.0.1 that roomsd trusts,
// so each test connection can come from the address it names.
type guardedEnv struct {
	url    string
	roomID string
	clock  *frozenClock
	h      *signal.Handler
}

func newGuardedEnv(t *testing.T, limits signal.Limits, publicURL string) *guardedEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	media, err := sfu.New(sfu.Config{UDPAddr: "127.0.0.1:0", Loopback: true, AnswerTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	clk := &frozenClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	hub := call.NewHub(call.Config{Store: st, Media: call.SFU(media), Grace: 200 * time.Millisecond, PublicURL: publicURL})
	// Connections wait a minute for their join, so a test can hold many.
	h := &signal.Handler{Hub: hub, JoinTimeout: time.Minute, Limits: limits, Now: clk.Now, Origins: testOrigins(t)}
	proxies, _ := clientaddr.ParseProxies([]string{"127.0.0.0/8"})
	a := api.New(api.Config{Store: st, Live: hub, Signal: h, PublicURL: publicURL, TrustedProxies: proxies,
		Rate: api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 1000, CreateBurst: 1000}})
	srv := httptest.NewServer(a)
	t.Cleanup(func() {
		srv.Close()
		hub.Close()
		media.Close()
		st.Close()
	})
	c, _ := client.New(srv.URL)
	r, err := c.CreateRoom(ctx, wire.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return &guardedEnv{url: srv.URL, roomID: r.ID, clock: clk, h: h}
}

// refusal is how an upgrade was answered when it was not accepted.
type refusal struct {
	typ        string
	status     int
	code       wire.Code
	retryAfter string
}

// hostTransport sends every request with another Host header, as a
// browser does for a name re-pointed at roomsd.
type hostTransport struct{ host string }

func (h hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = h.host
	return http.DefaultTransport.RoundTrip(r)
}

// open opens a call connection with the headers given, reads hello and
// leaves it open; a refused upgrade comes back as its refusal.
func (e *guardedEnv) open(t *testing.T, header http.Header, host string) (*websocket.Conn, *refusal) {
	t.Helper()
	ws, _, ref := e.openHello(t, header, host)
	return ws, ref
}

// openHello is open, with the challenge of hello.
func (e *guardedEnv) openHello(t *testing.T, header http.Header, host string) (*websocket.Conn, string, *refusal) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{Subprotocols: []string{wire.SignalProtocol}, HTTPHeader: header}
	if host != "" {
		opts.HTTPClient = &http.Client{Transport: hostTransport{host}}
	}
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.url, "http")+"/r/"+e.roomID, opts)
	if err != nil {
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		var p wire.Problem
		_ = json.Unmarshal(b, &p)
		return nil, "", &refusal{status: resp.StatusCode, code: p.Code, typ: p.Type, retryAfter: resp.Header.Get("Retry-After")}
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	m, err := readMsg(t, ws)
	if err != nil || m.Type != wire.MsgHello {
		t.Fatalf("an accepted connection's first message: %v %v", m.Type, err)
	}
	var h wire.Hello
	_ = json.Unmarshal(m.Data, &h)
	return ws, h.Challenge, nil
}

func fromAddr(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// wait polls cond until it holds, for at most 10 s.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	l := signal.DefaultLimits
	l.JoinsPerSecond, l.JoinBurst = 1000, 1000 // the cap alone is tested here
	e := newGuardedEnv(t, l, "")
	var held []*websocket.Conn
	for i := range l.PerAddress {
		ws, ref := e.open(t, fromAddr("198.51.100.1"), "")
		if ref != nil {
			t.Fatalf("connection %d from one address refused: %+v", i+1, ref)
		}
		held = append(held, ws)
	}
	_, ref := e.open(t, fromAddr("198.51.100.1"), "")
	if ref == nil || ref.status != http.StatusTooManyRequests || ref.code != wire.CodeTooManyConnections || ref.retryAfter == "" || ref.typ != wire.ProblemType {
		t.Fatalf("connection %d from one address: %+v, want 429 %s of type %s with Retry-After", l.PerAddress+1, ref, wire.CodeTooManyConnections, wire.ProblemType)
	}
	if _, ref := e.open(t, fromAddr("198.51.100.2"), ""); ref != nil {
		t.Fatalf("another address was refused too: %+v", ref)
	}
	if got := e.h.Open(); got != l.PerAddress+1 {
		t.Fatalf("open connections: %d, want %d", got, l.PerAddress+1)
	}
	// A connection that ends gives its place back.
	held[0].Close(websocket.StatusNormalClosure, "bye")
	wait(t, "the closed connection's place", func() bool { return e.h.Open() == l.PerAddress })
	if _, ref := e.open(t, fromAddr("198.51.100.1"), ""); ref != nil {
		t.Fatalf("after one left: %+v", ref)
	}
}

func TestConnectionsOnTheServerAreCapped(t *testing.T) {
	e := newGuardedEnv(t, signal.Limits{PerAddress: 20, Total: 3}, "")
	for _, a := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		if _, ref := e.open(t, fromAddr(a), ""); ref != nil {
			t.Fatalf("%s: %+v", a, ref)
		}
	}
	_, ref := e.open(t, fromAddr("198.51.100.4"), "")
	if ref == nil || ref.status != http.StatusServiceUnavailable || ref.code != wire.CodeTooManyConnections || ref.retryAfter == "" {
		t.Fatalf("past the server's cap: %+v, want 503 %s with Retry-After", ref, wire.CodeTooManyConnections)
	}
}

// A script filled a public room to 50 with fresh keys at 20 joins a
// second from one address.
func TestFreshJoinsFromOneAddressAreSlowed(t *testing.T) {
	l := signal.DefaultLimits
	l.PerAddress = 100 // the pace alone is tested here
	e := newGuardedEnv(t, l, "")
	joined, refused := 0, 0
	for i := range 50 {
		ws, challenge, ref := e.openHello(t, fromAddr("198.51.100.1"), "")
		if ref != nil {
			if ref.status != http.StatusTooManyRequests || ref.code != wire.CodeRateLimited || ref.retryAfter == "" {
				t.Fatalf("join %d refused as %+v, want 429 %s with Retry-After", i+1, ref, wire.CodeRateLimited)
			}
			refused++
			continue
		}
		send(t, ws, freshJoin(e.roomID, "bot", challenge))
		waitJoined(t, ws, i+1)
		joined++
	}
	if joined != l.JoinBurst || refused != 50-l.JoinBurst {
		t.Fatalf("50 joins at once from one address: %d in, %d refused; want %d in", joined, refused, l.JoinBurst)
	}
	if _, ref := e.open(t, fromAddr("198.51.100.2"), ""); ref != nil {
		t.Fatalf("another address was slowed too: %+v", ref)
	}
	// A second later, two more.
	e.clock.Add(time.Second)
	for i := range 3 {
		_, ref := e.open(t, fromAddr("198.51.100.1"), "")
		if (ref == nil) != (i < 2) {
			t.Fatalf("join %d a second later: %+v", i+1, ref)
		}
	}
}

// waitJoined reads until the server says the join went through; events
// about the others may come first.
func waitJoined(t *testing.T, ws *websocket.Conn, n int) {
	t.Helper()
	for range 100 {
		m, err := readMsg(t, ws)
		if err != nil || m.Type == wire.MsgError {
			t.Fatalf("join %d: %v %s", n, err, m.Data)
		}
		if m.Type == wire.MsgJoined {
			return
		}
	}
	t.Fatalf("join %d: no joined among 100 messages", n)
}

// freshJoin is a join by a new key for the challenge of hello.
func freshJoin(roomID, name, challenge string) wire.Message {
	pub, priv, _ := ed25519.GenerateKey(nil)
	j, _ := wire.Encode(wire.MsgJoin, wire.Join{Name: name,
		PublicKey: base64.RawURLEncoding.EncodeToString(pub),
		Signature: base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, wire.JoinSignedText(testOrigin, roomID, challenge)))})
	return j
}

// The Go client says why a call connection was refused.
func TestClientReadsTheRefusal(t *testing.T) {
	e := newGuardedEnv(t, signal.Limits{PerAddress: 1}, "")
	if _, ref := e.open(t, nil, ""); ref != nil {
		t.Fatalf("the first connection: %+v", ref)
	}
	c, _ := client.New(e.url)
	_, key, _ := ed25519.GenerateKey(nil)
	_, err := c.Join(context.Background(), e.roomID, client.JoinOptions{Name: "ann", Key: key, MaxReconnects: -1})
	var p *wire.Problem
	if !errors.As(err, &p) || p.Code != wire.CodeTooManyConnections || !strings.Contains(err.Error(), "--max-connections-per-address") {
		t.Fatalf("Join = %v, want the too_many_connections problem", err)
	}
}
