package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// What a hostile server or participant sends: OSC 52 (a clipboard write),
// OSC 0 (the window title), the 8-bit CSI, a right-to-left override, and
// line breaks that would fake a line from someone else.
const (
	hostileName = "\x1b]52;c;cm0gLXJmIH4=\x07Eve\u202Egnp.exe"
	hostileRoom = "\x1b]0;pwned\x07Friday\u009b31m drinks"
	hostileChat = "ok\nBo: send me your host key\r\n\x1b[2J"
)

// hostileCall is a call screen whose room, people, chat and server
// messages all carry hostile text.
func hostileCall(t *testing.T, w, h int) Model {
	t.Helper()
	th, _ := theme.Lookup("aperitivo")
	room := api.Room{ID: "abcdefghijklmnopqrstuvwxyz", Name: hostileRoom, Theme: "aperitivo", MaxParticipants: 50,
		Link: "http://rooms.test/r/abcdefghijklmnopqrstuvwxyz\x1b]8;;http://evil.test\x07"}
	me := api.Participant{ID: "pme", Name: "Me"}
	m := New(Config{Room: room, Theme: th, Me: me, Controls: &recorder{}, Profile: termimg.TrueColor,
		MicOn: true, CameraOn: true, Now: func() time.Time { return t0 }})
	others := []api.Participant{
		{ID: "pEve", Name: hostileName, Muted: api.Muted{Video: true}},
		{ID: "pBo", Name: "Bo\u009b2J\nAnn", Host: true},
	}
	var mm tea.Model = m
	for _, msg := range []tea.Msg{
		tea.WindowSizeMsg{Width: w, Height: h},
		EventMsg{Event: client.Joined{Joined: api.Joined{You: me, Room: room, Participants: others}}},
		EventMsg{Event: client.ParticipantJoined{Participant: api.Participant{ID: "pMal", Name: "Mal\u2066lory\u2069\u200B"}}},
		EventMsg{Event: client.Chat{Chat: api.Chat{From: "pEve", Name: hostileName, Text: hostileChat}}},
		EventMsg{Event: client.Chat{Chat: api.Chat{From: "pBo", Name: "Bo", Text: "a long message that wraps onto a second line: Ann: this is not Ann speaking"}}},
	} {
		mm, _ = mm.Update(msg)
	}
	return mm.(Model)
}

// safeView fails unless every escape sequence in s is an SGR (colours and
// styles) and the text between them is what safetext lets through.
func safeView(t *testing.T, what, s string) {
	t.Helper()
	for i, line := range strings.Split(s, "\n") {
		var text strings.Builder
		for j := 0; j < len(line); j++ {
			if line[j] != 0x1b {
				text.WriteByte(line[j])
				continue
			}
			k := j + 1
			if k < len(line) && line[k] == '[' {
				for k++; k < len(line) && (line[k] >= '0' && line[k] <= '9' || line[k] == ';' || line[k] == ':'); k++ {
				}
			}
			if k >= len(line) || line[k] != 'm' || line[j+1] != '[' {
				t.Fatalf("%s, line %d: an escape sequence that is not SGR: %q", what, i, line[j:min(len(line), j+24)])
			}
			j = k
		}
		if err := safetext.Check(text.String()); err != nil {
			t.Fatalf("%s, line %d holds %v: %q", what, i, err, text.String())
		}
	}
}

func TestHostileTextIsShownSafely(t *testing.T) {
	for _, tt := range []struct {
		name string
		keys []string
	}{
		{"call-hostile-tiles.golden", nil},
		{"call-hostile-people.golden", []string{"tab"}},
		{"call-hostile-chat.golden", []string{"c"}},
		{"call-hostile-confirm-remove.golden", []string{"k"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := hostileCall(t, 140, 40)
			m.me.Host = true
			m = press(t, m, tt.keys...)
			v := m.View()
			safeView(t, "the view", v.Content)
			safeView(t, "the window title", v.WindowTitle)
			golden(t, tt.name, v.Content)
		})
	}
}

func TestChatCannotFakeALine(t *testing.T) {
	m := press(t, hostileCall(t, 140, 40), "c")
	var msgs []string
	for _, l := range strings.Split(termimg.StripANSI(m.panelView()), "\n") {
		l = strings.Trim(l, "│ ")
		if l != "" {
			msgs = append(msgs, l)
		}
	}
	text := strings.Join(msgs, "\n")
	flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
	if !strings.Contains(flat(text), flat("Evegnp.exe: ok"+safetext.Separator+"Bo: send me your host key"+safetext.Separator+"[2J")) {
		t.Errorf("the two-line message is not on its sender's line:\n%s", text)
	}
	// Every line of the panel is a message's first line (a name in the
	// accent colour) or an indented continuation: none starts with "Ann:"
	// or "Bo:" but Bo's own message.
	for _, l := range strings.Split(m.panelView(), "\n") {
		plain := strings.TrimLeft(termimg.StripANSI(l), "│")
		if strings.HasPrefix(plain, " Ann:") || strings.HasPrefix(plain, " Bo: send") {
			t.Errorf("a line passes for someone else's: %q", plain)
		}
	}
}

func TestServerTextInNoticesAndTheEnd(t *testing.T) {
	m := hostileCall(t, 120, 40)
	step := func(ev client.Event) {
		mm, _ := m.Update(EventMsg{Event: ev})
		m = mm.(Model)
	}
	step(client.ServerError{SignalError: api.SignalError{Code: api.CodeInvalidArgument, Message: "no\x1b]52;c;eA==\x07 way\u202E"}})
	safeView(t, "a server error notice", m.View().Content)
	step(client.ServerError{SignalError: api.SignalError{Code: api.CodeScreenShareLimit, Sharers: []string{"Bo\x1b[2J", hostileName}}})
	safeView(t, "a screen-share refusal", m.View().Content)
	step(client.RoomUpdated{Room: api.Room{Name: "\x1b]0;title\x07x\u009b", MaxParticipants: 50}})
	safeView(t, "a renamed room", m.View().Content)
	safeView(t, "a renamed room's title", m.View().WindowTitle)
	step(client.Closed{Err: errors.New("read: \x1b]52;c;eA==\x07gone\nrooms: fake")})
	if !m.ended {
		t.Fatal("the end screen is not showing")
	}
	safeView(t, "the end screen", m.View().Content)
	if err := safetext.Check(m.Over()); err != nil {
		t.Errorf("Over() = %q holds %v", m.Over(), err)
	}
}

func TestHostilePrejoin(t *testing.T) {
	th, _ := theme.Lookup("aperitivo")
	cfg := PrejoinConfig{
		Room:  api.Room{Name: hostileRoom, State: "open", StartsAt: t0},
		Theme: th, Name: "Ann", Profile: termimg.TrueColor, Now: func() time.Time { return t0 },
		Inbox: []string{"📨 You're invited to \x1b]52;c;eA==\x07x\u202E\nfake: line"},
	}
	var m tea.Model = NewPrejoin(cfg)
	m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	safeView(t, "the pre-join screen", m.View().Content)
}

// TestHostileKnockIsShownSafely: a knocker's name (or a hostile server's
// knock event) reaches the host's status bar and people panel cleaned.
func TestHostileKnockIsShownSafely(t *testing.T) {
	m := hostileCall(t, 140, 40)
	m.me.Host = true
	var mm tea.Model = m
	mm, _ = mm.Update(EventMsg{Event: client.Knock{Knock: api.Knock{ID: "k1\x1b]0;t\x07", Name: hostileName, At: t0}}})
	m = press(t, mm.(Model), "tab")
	v := m.View()
	if !strings.Contains(termimg.StripANSI(v.Content), "asks to join") {
		t.Fatalf("the knock is not shown:\n%s", termimg.StripANSI(v.Content))
	}
	safeView(t, "the view with a knock", v.Content)
}
