package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/internal/safetext"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// What a hostile server puts in every string it can: OSC 52 (writes the
// clipboard), OSC 0 (sets the window title), the 8-bit CSI, a
// right-to-left override, and a line break with a fake line after it.
const (
	osc52   = "\x1b]52;c;cm0gLXJmIH4=\x07"
	osc0    = "\x1b]0;pwned\x07"
	csi8    = "\u009b2J"
	rlo     = "\u202E"
	fake    = "\nrooms: fake line"
	hostile = osc52 + "Eve" + csi8 + rlo + "gnp.exe" + osc0 + fake
)

// Room ids the hostile server knows: one it answers with hostile text, one
// it refuses with a hostile problem or signalling error.
const (
	evilRoom    = "abcdefghijklmnopqrstuvwxyz"
	refusedRoom = "zyxwvutsrqponmlkjihgfedcba"
)

func evil(s string) string { return s + hostile }

// hostileServer is a fake roomsd, on loopback, that answers every request
// with text meant to take over the terminal of whoever prints it.
func hostileServer(t *testing.T) string {
	t.Helper()
	at := time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)
	room := apitypes.Room{ID: evilRoom, Link: evil("http://rooms.test/r/" + evilRoom), Name: hostile, Theme: evil("aperitivo"),
		Visibility: "public", State: evil("open"), StartsAt: at, TimeZone: "Europe/Rome", MaxParticipants: 50, CreatedAt: at,
		HostKey: evil("key"), WebhookSecret: evil("whsec"),
		WebhookSecrets: []apitypes.WebhookSecret{{URL: evil("https://a.example.com/h"), Secret: evil("whsec")}, {URL: evil("https://b.example.com/h"), Secret: evil("whsec")}},
		Invitations:    []apitypes.Invitation{{Kind: "handle", Address: evil("ann"), Delivery: evil("inbox")}}}
	people := []apitypes.Participant{
		{ID: evil("p1"), Name: hostile, Host: true, JoinedAt: at, Tracks: []apitypes.Track{{ID: "t", Kind: apitypes.TrackKind(evil("video"))}}},
		{ID: "p2", Name: "Bo\nAnn (host)", JoinedAt: at},
	}
	problem := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(apitypes.Problem{Code: apitypes.CodeRoomNotFound, Status: 404, Title: evil("title"), Detail: evil("no such room")})
	}
	reply := func(w http.ResponseWriter, r *http.Request, v any) {
		if strings.Contains(r.URL.Path, refusedRoom) {
			problem(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/rooms", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, apitypes.RoomList{Rooms: []apitypes.Room{room}})
	})
	mux.HandleFunc("POST /v1/rooms", func(w http.ResponseWriter, r *http.Request) { reply(w, r, room) })
	mux.HandleFunc("GET /v1/rooms/{id}", func(w http.ResponseWriter, r *http.Request) { reply(w, r, room) })
	mux.HandleFunc("PATCH /v1/rooms/{id}", func(w http.ResponseWriter, r *http.Request) { reply(w, r, room) })
	mux.HandleFunc("POST /v1/rooms/{id}/end", func(w http.ResponseWriter, r *http.Request) { reply(w, r, room) })
	mux.HandleFunc("POST /v1/rooms/{id}/redeliver", func(w http.ResponseWriter, r *http.Request) { reply(w, r, apitypes.RedeliverResult{}) })
	mux.HandleFunc("GET /v1/rooms/{id}/participants", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, apitypes.ParticipantList{Participants: people})
	})
	knock := apitypes.Knock{ID: evil("k1"), Name: hostile, At: at}
	mux.HandleFunc("GET /v1/rooms/{id}/knocks", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, apitypes.KnockList{Knocks: []apitypes.Knock{knock}})
	})
	mux.HandleFunc("POST /v1/rooms/{id}/knocks/{knock}/admit", func(w http.ResponseWriter, r *http.Request) { reply(w, r, knock) })
	mux.HandleFunc("POST /v1/rooms/{id}/participants/{who}/remove", func(w http.ResponseWriter, r *http.Request) { reply(w, r, people[0]) })
	mux.HandleFunc("GET /v1/rooms/{id}/deliveries", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, apitypes.DeliveryList{Deliveries: []apitypes.Delivery{{Type: evil("invited"), Channel: evil("webhook"),
			Recipient: evil("https://hook.test"), State: evil("dead"), Attempts: 8, LastError: evil("HTTP 500")}}})
	})
	mux.HandleFunc("GET /v1/me", func(w http.ResponseWriter, r *http.Request) { reply(w, r, apitypes.Handle{Handle: evil("ann")}) })
	mux.HandleFunc("GET /v1/inbox", func(w http.ResponseWriter, r *http.Request) {
		var ns []apitypes.Notification
		if a := r.URL.Query().Get("after"); a == "" || a == "0" {
			for _, typ := range []string{"invited", "reminder", "room_open", "rescheduled", "ending_soon", "cancelled", evil("other")} {
				ns = append(ns, apitypes.Notification{ID: int64(len(ns) + 1), Type: typ, Room: room, Link: room.Link, At: at, OldAt: &at})
			}
		}
		reply(w, r, apitypes.NotificationList{Notifications: ns})
	})
	// The call: a joined with hostile names, then chat, a non-fatal
	// error and the end; or, for the refused room, a fatal error.
	mux.HandleFunc("GET /r/{id}", func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{apitypes.SignalProtocol}})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		send := func(typ apitypes.MessageType, v any) {
			m, _ := apitypes.Encode(typ, v)
			b, _ := json.Marshal(m)
			_ = ws.Write(ctx, websocket.MessageText, b)
		}
		send(apitypes.MsgHello, apitypes.Hello{Challenge: "c"})
		if _, _, err := ws.Read(ctx); err != nil {
			return
		}
		if r.PathValue("id") == refusedRoom {
			send(apitypes.MsgError, apitypes.SignalError{Code: apitypes.Code(evil("odd")), Message: evil("refused"), Fatal: true})
			_, _, _ = ws.Read(ctx)
			return
		}
		send(apitypes.MsgJoined, apitypes.Joined{You: apitypes.Participant{ID: "pme", Name: "me"}, Room: room, Participants: people})
		send(apitypes.MsgParticipantJoined, apitypes.Participant{ID: "p3", Name: hostile})
		send(apitypes.MsgChat, apitypes.Chat{From: "p3", Name: hostile, Text: evil("hi")})
		send(apitypes.MsgRoomUpdated, room)
		send(apitypes.MsgError, apitypes.SignalError{Code: apitypes.Code(evil("code")), Message: evil("careful"), Sharers: []string{hostile}})
		send(apitypes.MsgEnded, apitypes.Ended{Reason: evil("bye")})
		_, _, _ = ws.Read(ctx)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// assertSafe fails if out could do anything to a terminal but show text:
// every line must pass safetext.Check (no escape, no C1, no bidi control,
// no invisible format character, valid UTF-8), and no line may pass for
// one of rooms' own.
func assertSafe(t *testing.T, what, out string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if err := safetext.Check(line); err != nil {
			t.Errorf("%s, line %d holds %v: %q", what, i+1, err, line)
		}
		if strings.HasPrefix(line, "rooms: fake") {
			t.Errorf("%s, line %d is the server's fake line: %q", what, i+1, line)
		}
	}
}

func TestHostileServerCannotReachTheTerminal(t *testing.T) {
	url := hostileServer(t)
	h := &harness{t: t, url: url, now: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), state: t.TempDir()}
	for _, args := range [][]string{
		{"list"}, {"list", "--json"},
		{"info", evilRoom}, {"info", evilRoom, "--json"},
		{"who", evilRoom}, {"who", evilRoom, "--json"},
		{"link", evilRoom},
		{"create", "--name", "party"}, {"create", "--name", "party", "--json"},
		{"lock", evilRoom, "--host-key", "k"},
		{"end", evilRoom, "--host-key", "k", "--yes"},
		{"kick", evilRoom, "Eve", "--host-key", "k"},
		{"webhooks", evilRoom, "--host-key", "k"},
		{"knocks", evilRoom, "--host-key", "k"},
		{"admit", evilRoom, "Eve", "--host-key", "k"},
		{"webhooks", "redeliver", refusedRoom, "--host-key", "k"},
		{"whoami"},
		{"inbox"}, {"inbox", "--json"},
		{"info", refusedRoom}, {"info", refusedRoom, "--json"},
		{"join", evilRoom, "--headless", "--duration", "30s"},
		{"join", evilRoom, "--headless", "--duration", "30s", "--json"},
		{"join", refusedRoom, "--headless", "--duration", "30s"},
		{"join", refusedRoom, "--headless", "--duration", "30s", "--json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := h.run(args...)
			assertSafe(t, "stdout", out)
			assertSafe(t, "stderr", errOut)
			if out == "" && errOut == "" {
				t.Errorf("no output at all (exit %d)", code)
			}
			if strings.Contains(args[len(args)-1], "json") {
				for _, l := range strings.Split(strings.TrimSpace(out+errOut), "\n") {
					if l != "" && !json.Valid([]byte(l)) && !strings.HasPrefix(strings.TrimSpace(out), "[") && !strings.HasPrefix(strings.TrimSpace(out), "{") {
						t.Errorf("not JSON: %q", l)
					}
				}
			}
		})
	}
}

// TestHostileTextStaysReadable checks what the person sees instead: the
// words, in order, on the line they belong to.
func TestHostileTextStaysReadable(t *testing.T) {
	url := hostileServer(t)
	h := &harness{t: t, url: url, now: time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), state: t.TempDir()}
	want := "]52;c;cm0gLXJmIH4=Eve2Jgnp.exe]0;pwned" + safetext.Separator + "rooms: fake line"
	out, _, _ := h.run("who", evilRoom)
	if !strings.Contains(out, want) || !strings.Contains(out, "Bo"+safetext.Separator+"Ann (host)") {
		t.Errorf("rooms who shows:\n%s", out)
	}
	_, errOut, code := h.run("info", refusedRoom)
	if code != ExitNotFound || !strings.HasPrefix(errOut, "rooms: no such room]52;") {
		t.Errorf("exit %d, stderr:\n%s", code, errOut)
	}
	out, _, _ = h.run("join", evilRoom, "--headless", "--duration", "30s")
	var chat string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " chat ") {
			chat = l
		}
	}
	if !strings.Contains(chat, `text="hi\x1b]52;c;`) || !strings.Contains(chat, `\u202e`) || !strings.Contains(chat, `\nrooms: fake line"`) {
		t.Errorf("the chat line does not show the message quoted: %q", chat)
	}
	out, _, _ = h.run("who", evilRoom, "--json")
	var ps []apitypes.Participant
	if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps) != 2 || ps[0].Name != hostile {
		t.Errorf("--json does not carry the name as sent (%v): %q", err, out)
	}
}
