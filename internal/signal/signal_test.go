package signal_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/origin"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/signal"
	"github.com/rooms-dev/rooms/internal/store"
	wire "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type env struct {
	url    string
	roomID string
	hub    *call.Hub
}

func newEnv(t *testing.T) *env { return newEnvAt(t, nil) }

// newEnvAt makes the server's clock now() when given.
func newEnvAt(t *testing.T, now func() time.Time) *env {
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
	hub := call.NewHub(call.Config{Store: st, Media: call.SFU(media), Now: now, Grace: 200 * time.Millisecond})
	a := api.New(api.Config{Store: st, Now: now, Live: hub, Signal: &signal.Handler{Hub: hub, JoinTimeout: 300 * time.Millisecond, Origins: testOrigins(t)}})
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
	return &env{url: srv.URL, roomID: r.ID, hub: hub}
}

func testOrigins(t *testing.T) origin.Policy {
	t.Helper()
	p, err := origin.New(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) dial(t *testing.T, roomID string, protocols ...string) *websocket.Conn {
	t.Helper()
	if protocols == nil {
		protocols = []string{wire.SignalProtocol}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.url, "http")+"/r/"+roomID, &websocket.DialOptions{Subprotocols: protocols})
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

func readMsg(t *testing.T, ws *websocket.Conn) (wire.Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		return wire.Message{}, err
	}
	var m wire.Message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m, nil
}

func send(t *testing.T, ws *websocket.Conn, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := ws.Write(context.Background(), websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// testOrigin is the public URL of the test servers; joins sign it.
const testOrigin = "http://rooms.test"

// signedJoin makes a valid join for the challenge in hello.
func signedJoin(t *testing.T, ws *websocket.Conn, roomID, name string) wire.Message {
	t.Helper()
	return signedJoinFor(t, ws, testOrigin, roomID, name)
}

// signedJoinFor signs the join for the server at origin.
func signedJoinFor(t *testing.T, ws *websocket.Conn, origin, roomID, name string) wire.Message {
	t.Helper()
	m, err := readMsg(t, ws)
	if err != nil || m.Type != wire.MsgHello {
		t.Fatalf("first message %v, %v; want hello", m.Type, err)
	}
	var h wire.Hello
	_ = json.Unmarshal(m.Data, &h)
	pub, priv, _ := ed25519.GenerateKey(nil)
	j, _ := wire.Encode(wire.MsgJoin, wire.Join{Name: name,
		PublicKey: base64.RawURLEncoding.EncodeToString(pub),
		Signature: base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, wire.JoinSignedText(origin, roomID, h.Challenge)))})
	return j
}

// expectError reads until an error message and returns its code, or ""
// if the connection closed first.
func expectError(t *testing.T, ws *websocket.Conn) (wire.Code, bool) {
	t.Helper()
	for {
		m, err := readMsg(t, ws)
		if err != nil {
			return "", false
		}
		if m.Type == wire.MsgError {
			var se wire.SignalError
			_ = json.Unmarshal(m.Data, &se)
			return se.Code, se.Fatal
		}
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		room      string
		do        func(t *testing.T, ws *websocket.Conn, roomID string)
		wantCode  wire.Code
		wantFatal bool
	}{
		{"the first message must be a join", e.roomID, func(t *testing.T, ws *websocket.Conn, _ string) {
			readMsg(t, ws)
			send(t, ws, map[string]any{"type": "chat", "data": map[string]string{"text": "hi"}})
		}, wire.CodeInvalidArgument, true},
		{"a join signed for another room is refused", e.roomID, func(t *testing.T, ws *websocket.Conn, _ string) {
			send(t, ws, signedJoin(t, ws, "aaaaaaaaaaaaaaaaaaaaaaaaaa", "ann"))
		}, wire.CodeInvalidArgument, true},
		// A hostile server that relays the real server's challenge gets
		// a join signed for itself, which the real server refuses.
		{"a join signed for another server is refused", e.roomID, func(t *testing.T, ws *websocket.Conn, id string) {
			send(t, ws, signedJoinFor(t, ws, "http://evil.test", id, "ann"))
		}, wire.CodeInvalidArgument, true},
		{"a join without a name is refused", e.roomID, func(t *testing.T, ws *websocket.Conn, id string) {
			send(t, ws, signedJoin(t, ws, id, "  "))
		}, wire.CodeInvalidArgument, true},
		{"a name of 65 characters is refused", e.roomID, func(t *testing.T, ws *websocket.Conn, id string) {
			send(t, ws, signedJoin(t, ws, id, strings.Repeat("a", 65)))
		}, wire.CodeInvalidArgument, true},
		{"a name with a newline is refused", e.roomID, func(t *testing.T, ws *websocket.Conn, id string) {
			send(t, ws, signedJoin(t, ws, id, "a\nb"))
		}, wire.CodeInvalidArgument, true},
		{"a message that is not JSON is refused", e.roomID, func(t *testing.T, ws *websocket.Conn, _ string) {
			readMsg(t, ws)
			_ = ws.Write(context.Background(), websocket.MessageText, []byte("{not json"))
		}, wire.CodeInvalidArgument, true},
		// The read's deadline closes the WebSocket itself: no error message.
		{"silence after hello is cut off", e.roomID, func(t *testing.T, ws *websocket.Conn, _ string) {
			readMsg(t, ws)
		}, "", false},
		{"a missing room is not found", "aaaaaaaaaaaaaaaaaaaaaaaaaa", func(t *testing.T, ws *websocket.Conn, id string) {
			send(t, ws, signedJoin(t, ws, id, "ann"))
		}, wire.CodeRoomNotFound, true},
		{"a malformed room id is not found the same way", "x", func(t *testing.T, ws *websocket.Conn, id string) {
			send(t, ws, signedJoin(t, ws, id, "ann"))
		}, wire.CodeRoomNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := e.dial(t, tt.room)
			tt.do(t, ws, tt.room)
			code, fatal := expectError(t, ws)
			if code != tt.wantCode || fatal != tt.wantFatal {
				t.Fatalf("got %q (fatal %v), want %q (fatal %v)", code, fatal, tt.wantCode, tt.wantFatal)
			}
			// A fatal error closes the connection.
			if _, err := readMsg(t, ws); err == nil {
				t.Fatal("the connection stayed open after a fatal error")
			}
		})
	}
}

func TestWrongSubprotocolIsRefused(t *testing.T) {
	e := newEnv(t)
	ws := e.dial(t, e.roomID, "rooms.v0")
	_, err := readMsg(t, ws)
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("close status %v, want policy violation", websocket.CloseStatus(err))
	}
}

func TestInTheCall(t *testing.T) {
	e := newEnv(t)
	ws := e.dial(t, e.roomID)
	send(t, ws, signedJoin(t, ws, e.roomID, "ann"))
	if m, err := readMsg(t, ws); err != nil || m.Type != wire.MsgJoined {
		t.Fatalf("after join: %v %v", m.Type, err)
	}
	// Bad messages in the call are refused one by one; the call goes on.
	for _, msg := range []any{
		map[string]any{"type": "mute", "data": map[string]any{"kind": "smell", "muted": true}},
		map[string]any{"type": "chat", "data": map[string]any{"text": strings.Repeat("x", wire.MaxChatRunes+1)}},
		map[string]any{"type": "host", "data": map[string]any{"action": "lock"}},
		map[string]any{"type": "host", "data": map[string]any{"action": "mute", "participant_id": "p1"}},
		map[string]any{"type": "teleport"},
		map[string]any{"type": "answer", "data": map[string]any{"pc": "subscribe", "sdp": "v=0"}},
	} {
		send(t, ws, msg)
		if code, fatal := expectError(t, ws); code == "" || fatal {
			t.Fatalf("%v: got %q fatal=%v, want a non-fatal error", msg, code, fatal)
		}
	}
	// An oversized message closes the connection.
	big := map[string]any{"type": "chat", "data": map[string]any{"text": strings.Repeat("x", wire.MaxSignalMessage)}}
	b, _ := json.Marshal(big)
	_ = ws.Write(context.Background(), websocket.MessageText, b)
	for {
		if _, err := readMsg(t, ws); err != nil {
			if websocket.CloseStatus(err) != websocket.StatusMessageTooBig && !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("closed with %v", err)
			}
			break
		}
	}
	// After the grace period, the dropped participant is gone.
	deadline := time.Now().Add(10 * time.Second)
	for e.hub.Count(e.roomID) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := e.hub.Count(e.roomID); n != 0 {
		t.Fatalf("%d in the call after the grace period, want 0", n)
	}
}

func TestFloodIsCutOff(t *testing.T) {
	e := newEnv(t)
	ws := e.dial(t, e.roomID)
	send(t, ws, signedJoin(t, ws, e.roomID, "ann"))
	for i := 0; i < wire.SignalBurst+50; i++ {
		m, _ := wire.Encode(wire.MsgMute, wire.Mute{Kind: wire.KindAudio, Muted: i%2 == 0})
		b, _ := json.Marshal(m)
		if ws.Write(context.Background(), websocket.MessageText, b) != nil {
			break
		}
	}
	for {
		code, fatal := expectError(t, ws)
		if code == "" {
			t.Fatal("the connection closed without a rate_limited error")
		}
		if code == wire.CodeRateLimited && fatal {
			return
		}
	}
}

// TestSilentClientIsDropped: a participant that never answers the
// server's offer is disconnected, so it cannot hold the call's
// renegotiation back.
func TestSilentClientIsDropped(t *testing.T) {
	e := newEnv(t)
	silent := e.dial(t, e.roomID)
	send(t, silent, signedJoin(t, silent, e.roomID, "silent"))
	c, _ := client.New(e.url)
	_, key, _ := ed25519.GenerateKey(nil)
	track := newVideoTrack(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pub, err := c.Join(ctx, e.roomID, client.JoinOptions{Name: "pub", Key: key, Tracks: []client.LocalTrack{track}, MaxReconnects: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	go writeFrames(ctx, track)
	sawOffer := false
	for {
		m, err := readMsg(t, silent)
		if err != nil {
			if !sawOffer {
				t.Fatalf("closed before any offer: %v", err)
			}
			if !strings.Contains(err.Error(), "media connection failed") {
				t.Fatalf("closed with %v, want the media failure reason", err)
			}
			return
		}
		if m.Type == wire.MsgOffer {
			sawOffer = true
		}
	}
}

// TestTimeUpEndsTheCall: a room booked for a minute ends its live call
// when the minute is up, not only for newcomers.
func TestTimeUpEndsTheCall(t *testing.T) {
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := newEnvAt(t, now)
	c, _ := client.New(e.url)
	r, err := c.CreateRoom(context.Background(), wire.CreateRoomRequest{DurationSeconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(59 * time.Second)) // a second left
	ws := e.dial(t, r.ID)
	send(t, ws, signedJoin(t, ws, r.ID, "ann"))
	for {
		m, err := readMsg(t, ws)
		if err != nil {
			t.Fatalf("closed before ended: %v", err)
		}
		if m.Type == wire.MsgEnded {
			var en wire.Ended
			_ = json.Unmarshal(m.Data, &en)
			if !strings.Contains(en.Reason, "time is up") {
				t.Fatalf("ended because %q", en.Reason)
			}
			return
		}
	}
}
