//go:build e2e

package e2e

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rooms-dev/rooms/pkg/api"
)

// hostileText is what a hostile server puts in every name, chat line and
// message: an OSC 52 clipboard write, an OSC 0 window title, the 8-bit
// CSI (U+009B), a right-to-left override, and a line that pretends to be
// someone else's.
const hostileText = "Bait\x1b]52;c;cm0gLXJmIH4K\x07\x1b]0;pwned\x07\u009b31m\u202eevil\nboss: send me the host key"

// hostileRecord is one thing a client sent the hostile server that could
// be a secret: a host key, a Rooms-Auth header (with what it signed), a
// join's signature (with its challenge).
type hostileRecord struct {
	Kind      string `json:"kind"` // host_key, auth, join
	HostKey   string `json:"host_key,omitempty"`
	Auth      string `json:"auth,omitempty"`
	Method    string `json:"method,omitempty"`
	Target    string `json:"target,omitempty"`
	Body      []byte `json:"body,omitempty"`
	Room      string `json:"room,omitempty"`
	Challenge string `json:"challenge,omitempty"`
	PublicKey string `json:"public_key,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// hostileServer NAME starts a server that answers like roomsd for any room
// id, with hostile text everywhere, and records in NAME.hostile every host
// key, Rooms-Auth header and join signature it receives. NAME_URL is its
// address.
func hostileServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: hostileserver NAME")
	}
	path := ts.MkAbs(args[0] + ".hostile")
	var mu sync.Mutex
	record := func(r hostileRecord) {
		b, _ := json.Marshal(r)
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			f.Write(append(b, '\n'))
			f.Close()
		}
	}
	var base string
	now := time.Now().UTC()
	room := func(id string) api.Room {
		return api.Room{ID: id, Name: hostileText, Link: base + "/r/" + id, Theme: "aperitivo", Visibility: "public",
			State: "open", MaxParticipants: 50, MaxScreenShares: 10, StartsAt: now, TimeZone: "Europe/Rome", CreatedAt: now, Participants: 2}
	}
	people := []api.Participant{
		{ID: "p1", Name: hostileText, JoinedAt: now, Tracks: []api.Track{{ID: "t1", Kind: api.KindVideo}}},
		{ID: "p2", Name: "\u202eboss", Host: true, JoinedAt: now},
	}
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/info", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.ServerInfo{Version: hostileText, PublicURL: base})
	})
	mux.HandleFunc("GET /v1/rooms", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.RoomList{Rooms: []api.Room{room("aaaaaaaaaaaaaaaaaaaaaaaaaa"), room("bbbbbbbbbbbbbbbbbbbbbbbbbb")}})
	})
	mux.HandleFunc("GET /v1/rooms/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, room(r.PathValue("id")))
	})
	mux.HandleFunc("GET /v1/rooms/{id}/participants", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.ParticipantList{Participants: people})
	})
	invited := api.NotificationList{Notifications: []api.Notification{{ID: 1, Type: "invited", Room: room("aaaaaaaaaaaaaaaaaaaaaaaaaa"), Link: base + "/r/aaaaaaaaaaaaaaaaaaaaaaaaaa", At: now}}}
	mux.HandleFunc("GET /v1/inbox", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("after") != "" {
			writeJSON(w, 200, api.NotificationList{Notifications: []api.Notification{}})
			return
		}
		writeJSON(w, 200, invited)
	})
	// Under /loop the inbox never moves on: a client that pages until
	// an empty page would never stop.
	mux.HandleFunc("GET /loop/v1/inbox", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, invited)
	})
	mux.HandleFunc("GET /r/{id}", func(w http.ResponseWriter, r *http.Request) {
		hostileCall(w, r, people, record)
	})
	// Everything else is refused with a hostile problem.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 403, api.Problem{Type: "about:blank", Title: "Forbidden", Status: 403, Code: api.CodeForbidden, Detail: hostileText})
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k := r.Header.Get(api.HeaderHostKey); k != "" {
			record(hostileRecord{Kind: "host_key", HostKey: k})
		}
		if a := r.Header.Get(api.HeaderAuth); a != "" {
			body := make([]byte, 0)
			if r.Body != nil {
				buf := make([]byte, 16<<10)
				n, _ := r.Body.Read(buf)
				body = buf[:n]
				r.Body = http.NoBody
			}
			record(hostileRecord{Kind: "auth", Auth: a, Method: r.Method, Target: r.RequestURI, Body: body})
		}
		mux.ServeHTTP(w, r)
	}))
	base = srv.URL
	ts.Defer(srv.Close)
	ts.Setenv(args[0]+"_URL", srv.URL)
}

// hostileCall plays a call: a challenge, then whatever the joiner sends is
// recorded, and the joiner gets hostile names, chat and an error before
// the call ends.
func hostileCall(w http.ResponseWriter, r *http.Request, people []api.Participant, record func(hostileRecord)) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{api.SignalProtocol}})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	send := func(t api.MessageType, v any) {
		m, _ := api.Encode(t, v)
		b, _ := json.Marshal(m)
		_ = ws.Write(ctx, websocket.MessageText, b)
	}
	ch := make([]byte, 32)
	for i := range ch {
		ch[i] = byte(i * 7)
	}
	challenge := base64.RawURLEncoding.EncodeToString(ch)
	send(api.MsgHello, api.Hello{Protocol: api.SignalProtocol, Challenge: challenge, Server: hostileText})
	_, data, err := ws.Read(ctx)
	if err != nil {
		return
	}
	var m api.Message
	var j api.Join
	if json.Unmarshal(data, &m) != nil || json.Unmarshal(m.Data, &j) != nil {
		return
	}
	id := r.PathValue("id")
	if j.HostKey != "" {
		record(hostileRecord{Kind: "host_key", HostKey: j.HostKey})
	}
	record(hostileRecord{Kind: "join", Room: id, Challenge: challenge, PublicKey: j.PublicKey, Signature: j.Signature})
	now := time.Now().UTC()
	send(api.MsgJoined, api.Joined{
		You:          api.Participant{ID: "p9", Name: j.Name, JoinedAt: now},
		Room:         api.Room{ID: id, Name: hostileText, Theme: "aperitivo", State: "open", MaxParticipants: 50, StartsAt: now, CreatedAt: now},
		Participants: people,
	})
	send(api.MsgParticipantJoined, api.Participant{ID: "p3", Name: hostileText, JoinedAt: now})
	send(api.MsgChat, api.Chat{From: "p1", Name: hostileText, Text: hostileText, At: now})
	send(api.MsgError, api.SignalError{Code: api.CodeInvalidArgument, Message: hostileText})
	time.Sleep(time.Second)
	send(api.MsgEnded, map[string]string{"reason": hostileText})
	time.Sleep(500 * time.Millisecond)
}

// checkhostile NAME SERVER fails if the hostile server NAME received a host
// key, or any signature that the real server at SERVER would take: a
// Rooms-Auth header or a join signed for SERVER's origin. It also fails
// if it received nothing signed at all (the check would prove nothing).
func checkHostile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: checkhostile NAME SERVER")
	}
	real, err := api.CanonicalOrigin(args[1])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0] + ".hostile"))
	ts.Check(err)
	auths, joins := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rec hostileRecord
		ts.Check(json.Unmarshal([]byte(line), &rec))
		switch rec.Kind {
		case "host_key":
			ts.Fatalf("the hostile server received a host key")
		case "auth":
			auths++
			_, err := api.VerifyAuth(rec.Auth, api.AuthRequest{Origin: real, Method: rec.Method, Target: rec.Target, Body: rec.Body}, time.Now())
			if err == nil {
				ts.Fatalf("a Rooms-Auth header sent to the hostile server is valid on %s (%s %s)", real, rec.Method, rec.Target)
			}
		case "join":
			joins++
			pub, _ := base64.RawURLEncoding.DecodeString(rec.PublicKey)
			sig, _ := base64.RawURLEncoding.DecodeString(rec.Signature)
			if len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, api.JoinSignedText(real, rec.Room, rec.Challenge), sig) {
				ts.Fatalf("a join signature sent to the hostile server is valid on %s", real)
			}
		}
	}
	ts.Logf("checked %d Rooms-Auth headers and %d join signatures sent to the hostile server", auths, joins)
	if auths == 0 || joins == 0 {
		ts.Fatalf("the hostile server received %d signed requests and %d joins; the scenario should send both", auths, joins)
	}
}
