package tui

import (
	"errors"
	"flag"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// recorder is Controls that remembers what the screen asked for.
type recorder struct {
	calls    []string
	shareErr error // what ShareScreen answers
	err      error // what the other requests answer
}

func (r *recorder) SetMic(on bool) error    { return r.record("mic " + onOff(on)) }
func (r *recorder) SetCamera(on bool) error { return r.record("camera " + onOff(on)) }
func (r *recorder) SendChat(t string) error { return r.record("chat " + t) }
func (r *recorder) Host(a, p string) error  { return r.record(strings.TrimSpace("host " + a + " " + p)) }
func (r *recorder) Leave()                  { r.calls = append(r.calls, "leave") }

func (r *recorder) record(call string) error {
	r.calls = append(r.calls, call)
	return r.err
}
func (r *recorder) ShareScreen(on bool) error {
	if r.shareErr != nil {
		return r.shareErr
	}
	r.calls = append(r.calls, "share "+onOff(on))
	return nil
}

var t0 = time.Date(2026, 11, 25, 19, 0, 0, 0, time.UTC)

// callWith builds a call screen of w×h with n others, each showing the
// test pattern in their own label colour, as the decoders would.
func callWith(t *testing.T, n, w, h int, host bool) (Model, *recorder) {
	t.Helper()
	th, _ := theme.Lookup("aperitivo")
	rec := &recorder{}
	frames := NewFrames()
	clock := t0
	room := api.Room{ID: "abcdefghijklmnopqrstuvwxyz", Name: "Friday drinks", Theme: "aperitivo", MaxParticipants: 50,
		Link: "http://rooms.test/r/abcdefghijklmnopqrstuvwxyz"}
	me := api.Participant{ID: "pme", Name: "Me", Host: host}
	m := New(Config{Room: room, Theme: th, Me: me, Frames: frames, Controls: rec, Profile: termimg.TrueColor,
		MicOn: true, CameraOn: true, Now: func() time.Time { return clock }})
	var others []api.Participant
	labels := []string{"Ann", "Bo", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ida"}
	for i := 0; i < n; i++ {
		name := labels[i%len(labels)]
		if i >= len(labels) {
			name += string(rune('0' + i/len(labels)))
		}
		p := api.Participant{ID: "p" + name, Name: name}
		others = append(others, p)
		frames.Put(p.ID, media.Pattern(320, 240, uint32(i*7), media.DefaultLabel))
	}
	mm, _ := m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	mm, _ = mm.Update(EventMsg{Event: client.Joined{Joined: api.Joined{You: me, Room: room, Participants: others}}})
	for _, p := range others {
		mm, _ = mm.Update(EventMsg{Event: client.RemoteTrack{Info: api.Track{ID: "t" + p.ID, ParticipantID: p.ID, Kind: api.KindVideo}}})
	}
	return mm.(Model), rec
}

// keyMsg is the key press named k.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	return tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
}

func press(t *testing.T, m Model, keys ...string) Model {
	t.Helper()
	for _, k := range keys {
		mm, cmd := m.Update(keyMsg(k))
		m = settle(t, m, mm.(Model), cmd)
	}
	return m
}

// settle carries out the request to the call a key started, as the program
// would: requests run off the UI's goroutine (actions.go) and their
// results come back as messages. It runs only the command of a request,
// recognised by the state that says one is under way (other commands,
// a cursor's blink, wait on a clock).
func settle(t *testing.T, before, m Model, cmd tea.Cmd) Model {
	t.Helper()
	for cmd != nil && (m.acting && !before.acting || m.shareBusy && !before.shareBusy || m.leaving && !before.leaving) {
		msg := cmd()
		before = m
		before.acting, before.shareBusy = false, false // what finishes may start the next one
		mm, next := m.Update(msg)
		m, cmd = mm.(Model), next
	}
	return m
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file; view both with cat -v, or run go test -update if the change is meant.\ngot (text only):\n%s", name, termimg.StripANSI(got))
	}
}

func TestGoldenCallViews(t *testing.T) {
	tests := []struct {
		name string
		n    int
		w, h int
		keys []string
	}{
		{"call-1.golden", 1, 100, 30, nil},
		{"call-4.golden", 4, 140, 40, nil},
		{"call-9-people-panel.golden", 9, 160, 45, []string{"tab"}},
		{"call-4-pinned.golden", 4, 140, 40, []string{"right", "p"}},
		{"call-alone.golden", 0, 100, 30, nil},
		{"call-4-80x24.golden", 4, 80, 24, nil},
		{"call-4-160x48.golden", 4, 160, 48, nil},
		{"call-50-80x24-paged.golden", 50, 80, 24, []string{"]"}},
		{"call-50-160x48.golden", 50, 160, 48, nil},
		{"call-help.golden", 4, 120, 40, []string{"?"}},
		{"call-confirm-end.golden", 4, 120, 40, []string{"e"}},
		{"call-4-self-view.golden", -4, 140, 40, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.n
			if n < 0 { // negative: with the self-view
				n = -n
			}
			m, _ := callWith(t, n, tt.w, tt.h, true)
			if tt.n < 0 {
				m.cfg.SelfView = func() image.Image { return media.Pattern(320, 240, 99, media.DefaultLabel) }
			}
			m = press(t, m, tt.keys...)
			v := m.View()
			if !v.AltScreen {
				t.Error("the call does not take the whole screen")
			}
			lines := strings.Split(v.Content, "\n")
			if len(lines) > tt.h {
				t.Errorf("%d lines in a terminal of %d", len(lines), tt.h)
			}
			for i, l := range lines {
				if w := termimg.CellWidth(l); w > tt.w {
					t.Errorf("line %d is %d cells wide in a terminal of %d", i, w, tt.w)
				}
			}
			if tt.n != 0 && !strings.Contains(v.Content, ";2;255;0;0") {
				t.Error("no truecolor red: the video is not drawn in colour")
			}
			golden(t, tt.name, v.Content)
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name string
		host bool
		keys []string
		want []string
	}{
		{"m mutes and unmutes the mic", false, []string{"m", "m"}, []string{"mic off", "mic on"}},
		{"v turns the camera off", false, []string{"v"}, []string{"camera off"}},
		{"q asks, y leaves", false, []string{"q", "y"}, []string{"leave"}},
		{"q asks, n stays", false, []string{"q", "n"}, nil},
		{"a guest's host keys do nothing", false, []string{"l", "e", "k", "h"}, nil},
		{"the host locks", true, []string{"l"}, []string{"host lock"}},
		{"the host hides", true, []string{"h"}, []string{"host hide"}},
		{"ending asks first; n keeps the room", true, []string{"e", "n"}, nil},
		{"ending asks first; y ends it", true, []string{"e", "y"}, []string{"host end"}},
		{"removing asks first and names the selected tile", true, []string{"right", "k", "y"}, []string{"host remove pBo"}},
		{"chat: c opens, typing, enter sends", false, []string{"c", "h", "i", "enter"}, []string{"chat hi"}},
		{"keys typed in chat are not commands", false, []string{"c", "q", "m", "esc"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, rec := callWith(t, 3, 120, 40, tt.host)
			press(t, m, tt.keys...)
			if strings.Join(rec.calls, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("asked for %q, want %q", rec.calls, tt.want)
			}
		})
	}
}

func TestEventsShowOnScreen(t *testing.T) {
	m, _ := callWith(t, 2, 120, 40, false)
	step := func(ev client.Event) {
		mm, _ := m.Update(EventMsg{Event: ev})
		m = mm.(Model)
	}
	step(client.RoomUpdated{Room: api.Room{Name: "Friday drinks", Locked: true, MaxParticipants: 50}})
	if !strings.Contains(termimg.StripANSI(m.View().Content), "locked") {
		t.Error("a lock does not show in the status bar")
	}
	step(client.Chat{Chat: api.Chat{From: "pAnn", Name: "Ann", Text: "hello"}})
	if !strings.Contains(termimg.StripANSI(m.View().Content), "💬 1") {
		t.Error("an unread chat message is not counted in the status bar")
	}
	step(client.ParticipantLeft{ParticipantLeft: api.ParticipantLeft{ID: "pBo", Reason: "removed"}})
	if s := termimg.StripANSI(m.View().Content); !strings.Contains(s, "Bo was removed by the host") || strings.Count(s, "Bo ") > 1 {
		t.Errorf("a removal is not shown, or Bo's tile stayed:\n%s", s)
	}
	step(client.Reconnecting{Attempt: 2})
	if !strings.Contains(termimg.StripANSI(m.View().Content), "reconnecting") {
		t.Error("reconnecting is not shown")
	}
	// Back on the same connections (an ICE restart): no Joined comes,
	// and the status bar recovers by itself.
	step(client.Reconnected{ParticipantID: "pMe", Restarts: 1})
	if strings.Contains(termimg.StripANSI(m.View().Content), "reconnecting") {
		t.Error("reconnecting is still shown after Reconnected")
	}
	step(client.Ended{Ended: api.Ended{Reason: "the host ended the room"}})
	mm, cmd := m.Update(EventMsg{Event: client.Closed{Err: client.ErrEnded}})
	if m = mm.(Model); m.Over() == "" || cmd == nil {
		t.Fatalf("after the end: over=%q, quit=%v", m.Over(), cmd != nil)
	}
}

func TestGoldenPrejoin(t *testing.T) {
	th, _ := theme.Lookup("aperitivo")
	for _, tt := range []struct {
		name    string
		camera  bool
		state   string
		startIn time.Duration
	}{
		{"prejoin-camera.golden", true, "open", 0},
		{"prejoin-no-devices.golden", false, "open", 0},
		{"prejoin-scheduled.golden", false, "scheduled", 90 * time.Minute},
		{"prejoin-inbox.golden", false, "open", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := PrejoinConfig{
				Room:  api.Room{Name: "Friday drinks", State: tt.state, StartsAt: t0.Add(tt.startIn), Participants: 2},
				Theme: th, Name: "Ann", Profile: termimg.TrueColor, Now: func() time.Time { return t0 },
				Camera: "no camera found — you'll join with video off; --video testsrc shows a test pattern",
				Mic:    "no microphone found — you'll join muted; --audio testsrc plays a test tone",
				Sound:  "no sound output device — you'll see the call but not hear it",
			}
			if tt.startIn < 0 {
				cfg.Room.StartsAt = t0
				cfg.Inbox = []string{"🟢 Book club is open now: rooms join http://rooms.test/r/x", "📨 You're invited to Dinner, tomorrow, Thu 26 Nov 19:00 CET: http://rooms.test/r/y"}
			}
			if tt.camera {
				cfg.HasCamera, cfg.HasMic, cfg.Camera, cfg.Mic = true, true, "test pattern", "test tone (440 Hz)"
				cfg.Preview = func() image.Image { return media.Pattern(320, 240, 3, media.DefaultLabel) }
				cfg.Level = func() uint8 { return 20 }
			}
			var m tea.Model = NewPrejoin(cfg)
			m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
			golden(t, tt.name, m.View().Content)
		})
	}
}

func TestPrejoinChoices(t *testing.T) {
	th, _ := theme.Lookup("classic")
	base := PrejoinConfig{Room: api.Room{State: "open"}, Theme: th, Name: "Ann", HasCamera: true, Now: func() time.Time { return t0 }}
	tests := []struct {
		name string
		cfg  PrejoinConfig
		keys []tea.KeyPressMsg
		want Choice
		quit bool
	}{
		{"enter joins", base, []tea.KeyPressMsg{{Code: tea.KeyEnter}}, ChoiceJoin, true},
		{"tab then enter joins with the camera off", base, []tea.KeyPressMsg{{Code: tea.KeyTab}, {Code: tea.KeyEnter}}, ChoiceJoinCameraOff, true},
		{"esc quits", base, []tea.KeyPressMsg{{Code: tea.KeyEscape}}, ChoiceQuit, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m tea.Model = NewPrejoin(tt.cfg)
			var cmd tea.Cmd
			for _, k := range tt.keys {
				m, cmd = m.Update(k)
			}
			if got := m.(Prejoin).Choice(); got != tt.want || (cmd != nil) != tt.quit {
				t.Fatalf("choice %v (quit cmd %v), want %v", got, cmd != nil, tt.want)
			}
		})
	}
	// A booked room: enter waits, and the room opening joins by itself.
	now := t0
	cfg := base
	cfg.Room = api.Room{State: "scheduled", StartsAt: t0.Add(time.Minute)}
	cfg.Now = func() time.Time { return now }
	var m tea.Model = NewPrejoin(cfg)
	m, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if cmd != nil || !m.(Prejoin).waiting {
		t.Fatal("enter before the room opens should wait, not join")
	}
	now = t0.Add(time.Minute + time.Second)
	if _, cmd = m.Update(prejoinTick(now)); cmd == nil {
		t.Fatal("the room opened and the screen did not join by itself")
	}
}

func benchmarkView(b *testing.B, n, w, h int) {
	m, _ := callWith(&testing.T{}, n, w, h, false)
	// A new frame for everyone before every view, as at 15 fps in a busy call.
	imgs := make([]image.Image, 8)
	for i := range imgs {
		imgs[i] = media.Pattern(320, 240, uint32(i), media.DefaultLabel)
	}
	ids := m.ids()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, id := range ids {
			m.cfg.Frames.Put(id, imgs[(i+j)%len(imgs)])
		}
		_ = m.View()
	}
}

// BenchmarkView renders the whole call with every tile's picture new.
func BenchmarkView9At160x48(b *testing.B)  { benchmarkView(b, 9, 160, 48) }
func BenchmarkView50At160x48(b *testing.B) { benchmarkView(b, 50, 160, 48) }
func BenchmarkView50At240x70(b *testing.B) { benchmarkView(b, 50, 240, 70) }

func TestOnlyShownTilesAreDecoded(t *testing.T) {
	m, _ := callWith(t, 50, 80, 24, false)
	mm, _ := m.Update(frameTickMsg(t0))
	m = mm.(Model)
	page := m.visible()
	if len(page) == 0 || len(page) == 50 {
		t.Fatalf("page of %d at 80x24, want some but not all of 50", len(page))
	}
	if !m.cfg.Frames.Shown(page[0]) {
		t.Error("a tile on the page is not decoded")
	}
	if m.cfg.Frames.Shown(m.ids()[49]) {
		t.Error("a tile on another page is decoded")
	}
	m = press(t, m, "]")
	mm, _ = m.Update(frameTickMsg(t0))
	m = mm.(Model)
	if m.cfg.Frames.Shown(page[0]) || !m.cfg.Frames.Shown(m.visible()[0]) {
		t.Error("after paging, the decoded tiles did not follow")
	}
}

func TestGoldenEndScreens(t *testing.T) {
	for _, tt := range []struct {
		name string
		ev   client.Event
		err  error
		want string
	}{
		{"end-removed.golden", client.Removed{}, client.ErrRemoved, "You were removed by the host."},
		{"end-ended.golden", client.Ended{}, client.ErrEnded, "The host ended the room."},
		{"end-lost.golden", nil, errors.New("gave up reconnecting after 8 attempts"), "Check that roomsd is running"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := callWith(t, 2, 100, 30, false)
			if tt.ev != nil {
				mm, _ := m.Update(EventMsg{Event: tt.ev})
				m = mm.(Model)
			}
			mm, cmd := m.Update(EventMsg{Event: client.Closed{Err: tt.err}})
			m = mm.(Model)
			if cmd == nil || !m.ended {
				t.Fatal("no end screen")
			}
			got := m.View().Content
			if !strings.Contains(termimg.StripANSI(got), tt.want) {
				t.Fatalf("end screen lacks %q:\n%s", tt.want, termimg.StripANSI(got))
			}
			golden(t, tt.name, got)
			// Any key closes it.
			if _, cmd := m.Update(tea.KeyPressMsg{Code: 'x', Text: "x"}); cmd == nil {
				t.Fatal("a key did not close the end screen")
			}
		})
	}
}
