package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// freezer dials TCP like a network that can go down: freeze closes the
// server's side of every connection it made (the server sees the client
// go) while the client's side stays open and silent, its reads waiting
// and its writes vanishing, as through a cut link whose FIN never
// arrives; new dials fail until thaw.
type freezer struct {
	mu     sync.Mutex
	down   bool
	frozen []*frozenConn
}

func (f *freezer) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		f.mu.Lock()
		down := f.down
		f.mu.Unlock()
		if down {
			return nil, errors.New("network is down (test)")
		}
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		fc := &frozenConn{Conn: conn, closed: make(chan struct{}), freeze: make(chan struct{})}
		f.mu.Lock()
		f.frozen = append(f.frozen, fc)
		f.mu.Unlock()
		return fc, nil
	}}}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = true
	for _, c := range f.frozen {
		close(c.freeze)
		c.Conn.Close()
	}
	f.frozen = nil
}

func (f *freezer) thaw() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = false
}

// frozenConn is a connection that goes silent once frozen.
type frozenConn struct {
	net.Conn
	once   sync.Once
	closed chan struct{}
	freeze chan struct{}
}

func (c *frozenConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		select {
		case <-c.freeze:
			<-c.closed // silent until the client gives up on it
			return 0, net.ErrClosed
		default:
		}
	}
	return n, err
}

func (c *frozenConn) Write(b []byte) (int, error) {
	select {
	case <-c.freeze:
		return len(b), nil // into a send buffer that never drains
	default:
	}
	n, err := c.Conn.Write(b)
	select {
	case <-c.freeze:
		return len(b), nil
	default:
	}
	return n, err
}

func (c *frozenConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// A connection the network cut without closing it on the client's side
// used to leave a zombie: the server dropped the participant, the client
// sat reading a dead socket. The client's pings notice the silence, and
// it rejoins once the network is back.
func TestCallRejoinsAfterASilentCut(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := join(t, c, r.ID, "ann", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	net := &freezer{}
	bo, err := joinWith(t, c, r.ID, "bo", client.JoinOptions{HTTPClient: net.client(),
		PingInterval: 200 * time.Millisecond, PingTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	bo.waitFrames(t, "ann")
	ann.waitFrames(t, "bo")

	net.freeze()
	bo.waitEvent(t, "reconnecting", func(ev client.Event) bool { _, ok := ev.(client.Reconnecting); return ok })
	net.thaw()
	bo.waitEvent(t, "joined again", func(ev client.Event) bool { _, ok := ev.(client.Joined); return ok })
	id := bo.call.Me().ID
	ps, err := c.Participants(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ps {
		found = found || p.ID == id
	}
	if !found || len(ps) != 2 {
		t.Errorf("the server has %v after bo rejoined as %s, want ann and bo", ps, id)
	}
	bo.drain()
	ann.drain()
	bo.waitFrames(t, "ann")
	ann.waitFrames(t, "bo")
}

// The zombie of issue 16: the cut outlasts the grace period, the server
// tells the others the participant left (disconnected), and the client,
// its socket still open, must not sit in a call it is no longer in: it
// notices and joins again, and the others see it come back.
func TestCallRejoinsAfterTheServerDroppedIt(t *testing.T) {
	c, stop := testServerWith(t, func(cfg *Config) { cfg.grace = 100 * time.Millisecond })
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := join(t, c, r.ID, "ann", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	net := &freezer{}
	bo, err := joinWith(t, c, r.ID, "bo", client.JoinOptions{HTTPClient: net.client(),
		PingInterval: time.Second, PingTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	bo.waitFrames(t, "ann")
	ann.waitFrames(t, "bo")
	id := bo.call.Me().ID

	net.freeze()
	ann.waitEvent(t, "bo left", func(ev client.Event) bool {
		l, ok := ev.(client.ParticipantLeft)
		return ok && l.ID == id && l.Reason == "disconnected"
	})
	net.thaw()
	bo.waitEvent(t, "reconnecting", func(ev client.Event) bool { _, ok := ev.(client.Reconnecting); return ok })
	ev := bo.waitEvent(t, "joined again", func(ev client.Event) bool { _, ok := ev.(client.Joined); return ok })
	back := ev.(client.Joined).You.ID
	ann.waitEvent(t, "bo back", func(ev client.Event) bool {
		p, ok := ev.(client.ParticipantJoined)
		return ok && p.ID == back
	})
	ps, err := c.Participants(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || (ps[0].ID != back && ps[1].ID != back) {
		t.Errorf("the server has %v after bo came back as %s, want ann and bo", ps, back)
	}
	bo.drain()
	ann.drain()
	bo.waitFrames(t, "ann")
	ann.waitFrames(t, "bo")
}
