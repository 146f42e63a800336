package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// fakeRoom is a signalling server on loopback that lets everyone in and
// then does what session says with each connection. It tests the Call's
// owner: no SFU, no media.
type fakeRoom struct {
	mu      sync.Mutex
	joins   []api.Join
	session func(n int, ws *websocket.Conn)
}

func (f *fakeRoom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{api.SignalProtocol}})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	if err := write(ctx, ws, api.MsgHello, api.Hello{Protocol: api.SignalProtocol, Challenge: "c"}); err != nil {
		return
	}
	var j api.Join
	if err := readTyped(ctx, ws, api.MsgJoin, &j); err != nil {
		return
	}
	f.mu.Lock()
	f.joins = append(f.joins, j)
	n := len(f.joins)
	f.mu.Unlock()
	you := api.Participant{ID: j.Rejoin, Name: j.Name}
	if you.ID == "" {
		you.ID = fmt.Sprint("p", n)
	}
	if err := write(ctx, ws, api.MsgJoined, api.Joined{You: you}); err != nil {
		return
	}
	f.session(n, ws)
}

// join joins the fake room.
func (f *fakeRoom) join(t *testing.T, opts JoinOptions) *Call {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	opts.Key, opts.Name = key, "ann"
	call, err := c.Join(context.Background(), "room", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(call.Close)
	return call
}

// drain reads events until the channel closes.
func drain(call *Call) []Event {
	var out []Event
	for e := range call.Events() {
		out = append(out, e)
	}
	return out
}

// readUntilClosed keeps a connection open, reading, until the client goes.
func readUntilClosed(_ int, ws *websocket.Conn) {
	for {
		if _, _, err := ws.Read(context.Background()); err != nil {
			return
		}
	}
}

// TestCallEndsOnce: public methods racing the end of the call neither
// panic (a send on the closed events channel) nor block, Closed is the
// last event, and the state stays readable after.
func TestCallEndsOnce(t *testing.T) {
	call := (&fakeRoom{session: readUntilClosed}).join(t, JoinOptions{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_ = call.Me()
				_ = call.SendChat("hi")
				_ = call.SetView(api.View{Hidden: []string{"x"}})
				_ = call.Err()
				track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, fmt.Sprint("a", i), "s")
				if err != nil {
					t.Error(err)
					return
				}
				_ = call.Publish(LocalTrack{Track: track, Kind: api.KindAudio})
				_ = call.Unpublish(track.ID())
			}
		}()
	}
	go call.Close()
	events := drain(call)
	wg.Wait()
	last, ok := events[len(events)-1].(Closed)
	if !ok || !errors.Is(last.Err, ErrLeft) {
		t.Fatalf("last event %#v, want Closed with ErrLeft", events[len(events)-1])
	}
	for _, e := range events[:len(events)-1] {
		if _, ok := e.(Closed); ok {
			t.Fatal("Closed came twice")
		}
	}
	if got := call.Me().ID; got != "p1" {
		t.Fatalf("Me after the end = %q, want p1", got)
	}
	if err := call.SendChat("late"); !errors.Is(err, errCallOver) {
		t.Fatalf("SendChat after the end: %v, want errCallOver", err)
	}
	if !errors.Is(call.Err(), ErrLeft) {
		t.Fatalf("Err = %v, want ErrLeft", call.Err())
	}
	call.post(func() { t.Error("work ran after the end") })
	call.Close() // again: nothing to do
}

// TestCallReconnects: a dropped connection is joined again as the same
// participant, with Reconnecting between the two Joined events, and the
// view set before is sent on the new connection.
func TestCallReconnects(t *testing.T) {
	views := make(chan api.View, 1)
	f := &fakeRoom{session: func(n int, ws *websocket.Conn) {
		if n == 1 {
			var v api.View
			if err := readTyped(context.Background(), ws, api.MsgView, &v); err == nil {
				ws.CloseNow() // dropped
			}
			return
		}
		var v api.View
		if err := readTyped(context.Background(), ws, api.MsgView, &v); err == nil {
			views <- v
		}
		readUntilClosed(n, ws)
	}}
	call := f.join(t, JoinOptions{})
	if err := call.SetView(api.View{Hidden: []string{"t1"}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := range call.Events() {
		switch e := e.(type) {
		case Joined:
			got = append(got, "joined "+e.You.ID)
		case Reconnecting:
			got = append(got, fmt.Sprint("reconnecting ", e.Attempt))
		}
		if len(got) == 3 {
			break
		}
	}
	if want := []string{"joined p1", "reconnecting 1", "joined p1"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if v := <-views; len(v.Hidden) != 1 || v.Hidden[0] != "t1" {
		t.Fatalf("view after the reconnect %+v, want t1 hidden", v)
	}
	f.mu.Lock()
	rejoin := f.joins[1].Rejoin
	f.mu.Unlock()
	if rejoin != "p1" {
		t.Fatalf("rejoined as %q, want p1", rejoin)
	}
}

// TestCallEnds: what the server says ends the call ends it, with the
// reason in Closed, and nothing reconnects.
func TestCallEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(ws *websocket.Conn) error
		want func(error) bool
	}{
		{"removed", func(ws *websocket.Conn) error {
			return write(context.Background(), ws, api.MsgRemoved, api.Removed{Reason: "host"})
		}, func(err error) bool { return errors.Is(err, ErrRemoved) }},
		{"fatal error", func(ws *websocket.Conn) error {
			return write(context.Background(), ws, api.MsgError, api.SignalError{Code: api.CodeRoomEnded, Fatal: true})
		}, func(err error) bool {
			var se *api.SignalError
			return errors.As(err, &se) && se.Code == api.CodeRoomEnded
		}},
		{"no reconnects", func(ws *websocket.Conn) error { return ws.Close(websocket.StatusGoingAway, "") },
			func(err error) bool { return err != nil && !errors.Is(err, ErrLeft) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeRoom{session: func(n int, ws *websocket.Conn) {
				if err := tc.send(ws); err == nil {
					readUntilClosed(n, ws)
				}
			}}
			call := f.join(t, JoinOptions{MaxReconnects: -1})
			events := drain(call)
			last := events[len(events)-1].(Closed)
			if !tc.want(last.Err) {
				t.Fatalf("Closed{%v}", last.Err)
			}
			for _, e := range events {
				if _, ok := e.(Reconnecting); ok {
					t.Fatal("reconnected")
				}
			}
		})
	}
}

// TestCallEventsBackpressure: with the events channel full the call
// still answers, the reader waits rather than dropping, and every event
// arrives in order.
func TestCallEventsBackpressure(t *testing.T) {
	const n = 1500 // more than the channel holds
	sent := make(chan struct{})
	f := &fakeRoom{session: func(_ int, ws *websocket.Conn) {
		for i := range n {
			if err := write(context.Background(), ws, api.MsgChat, api.Chat{Text: fmt.Sprint(i)}); err != nil {
				return
			}
		}
		close(sent)
		readUntilClosed(0, ws)
	}}
	call := f.join(t, JoinOptions{})
	<-sent
	if got := call.Me().ID; got != "p1" {
		t.Fatalf("Me with the channel full = %q", got)
	}
	next := 0
	for e := range call.Events() {
		if c, ok := e.(Chat); ok {
			if c.Text != fmt.Sprint(next) {
				t.Fatalf("chat %q, want %d", c.Text, next)
			}
			if next++; next == n {
				break
			}
		}
	}
}

// TestCallAnswerLate: a server that does not answer the publish offer in
// time has its connection dropped, and the call rejoins as the same
// participant. (Which connection's offer goes out before its timer fires
// is a race the test leaves alone.)
func TestCallAnswerLate(t *testing.T) {
	was := answerTimeout
	t.Cleanup(func() { answerTimeout = was }) // after the call's Close
	answerTimeout = time.Millisecond
	f := &fakeRoom{session: readUntilClosed} // and never answer
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "mic", "s")
	if err != nil {
		t.Fatal(err)
	}
	call := f.join(t, JoinOptions{Tracks: []LocalTrack{{Track: track, Kind: api.KindAudio}}})
	for e := range call.Events() {
		if r, ok := e.(Reconnecting); ok {
			if !errors.Is(r.Err, errAnswerLate) {
				t.Fatalf("reconnecting because %v, want errAnswerLate", r.Err)
			}
			break
		}
	}
	for e := range call.Events() {
		if j, ok := e.(Joined); ok {
			if j.You.ID != "p1" {
				t.Fatalf("rejoined as %q, want p1", j.You.ID)
			}
			break
		}
	}
}
