package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/client"
)

// stalled is Controls on a network that does not answer: every request
// says it started, then blocks until released.
type stalled struct {
	started chan string
	release chan struct{}
}

func newStalled() *stalled {
	return &stalled{started: make(chan string, 1), release: make(chan struct{})}
}

func (s *stalled) block(what string) error {
	s.started <- what
	<-s.release
	return nil
}

func (s *stalled) SetMic(on bool) error      { return s.block("mic " + onOff(on)) }
func (s *stalled) SetCamera(on bool) error   { return s.block("camera " + onOff(on)) }
func (s *stalled) SendChat(t string) error   { return s.block("chat " + t) }
func (s *stalled) Host(a, p string) error    { return s.block(strings.TrimSpace("host " + a + " " + p)) }
func (s *stalled) ShareScreen(on bool) error { return s.block("share " + onOff(on)) }
func (s *stalled) Leave()                    { _ = s.block("leave") }

// TestUpdateDoesNoIO: with a call that never answers, Update returns at
// once (were it to wait, the test would hang), having asked the call for
// nothing; the command it returns is what asks, and its result comes back
// as a message.
func TestUpdateDoesNoIO(t *testing.T) {
	tests := []struct {
		name string
		host bool
		keys []string
		want string
	}{
		{"m mutes", false, []string{"m"}, "mic off"},
		{"v turns the camera off", false, []string{"v"}, "camera off"},
		{"enter sends the chat", false, []string{"c", "h", "i", "enter"}, "chat hi"},
		{"s shares", false, []string{"s"}, "share on"},
		{"y leaves", false, []string{"q", "y"}, "leave"},
		{"ctrl+c leaves", false, []string{"ctrl+c"}, "leave"},
		{"l locks", true, []string{"l"}, "host lock"},
		{"h hides", true, []string{"h"}, "host hide"},
		{"y removes", true, []string{"right", "k", "y"}, "host remove pBo"},
		{"y ends", true, []string{"e", "y"}, "host end"},
		{"a admits", true, []string{"a"}, "host admit kann"},
		{"y turns a knock away", true, []string{"d", "y"}, "host deny kann"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := withKnocks(t, tt.host)
			ctrl := newStalled()
			m.cfg.Controls = ctrl
			var cmd tea.Cmd
			for _, k := range tt.keys {
				var mm tea.Model
				mm, cmd = m.Update(keyMsg(k))
				m = mm.(Model)
			}
			select {
			case got := <-ctrl.started:
				t.Fatalf("Update asked the call for %q itself", got)
			default:
			}
			if cmd == nil {
				t.Fatal("no command to carry the request out")
			}
			done := make(chan tea.Msg, 1)
			go func() { done <- cmd() }()
			if got := <-ctrl.started; got != tt.want {
				t.Errorf("the command asked for %q, want %q", got, tt.want)
			}
			close(ctrl.release)
			switch msg := (<-done).(type) {
			case actionDoneMsg, shareDoneMsg, leaveDoneMsg:
				mm, _ := m.Update(msg)
				if m := mm.(Model); m.acting || m.shareBusy {
					t.Error("the result did not end the request")
				}
			default:
				t.Errorf("the command's result is %T, not a message the screen takes", msg)
			}
		})
	}
}

// TestRequestsGoOneAtATimeInOrder: requests made while one is in flight
// wait for it and follow in the order they were made; only the newest wish
// for the mic counts; the queue is bounded.
func TestRequestsGoOneAtATimeInOrder(t *testing.T) {
	m, rec := callWith(t, 2, 120, 40, true)
	var first tea.Cmd
	for i, k := range []string{"m", "m", "m", "l", "c", "a", "enter", "b", "enter"} {
		mm, cmd := m.Update(keyMsg(k))
		m = mm.(Model)
		if i == 0 {
			first = cmd
		} else if k != "c" && k != "a" && k != "b" && cmd != nil {
			t.Fatalf("key %d (%s) started a second request while one is in flight", i, k)
		}
	}
	if len(rec.calls) != 0 {
		t.Fatalf("Update asked for %q itself", rec.calls)
	}
	for cmd := first; cmd != nil; {
		mm, next := m.Update(cmd())
		m, cmd = mm.(Model), next
	}
	// The second m's wish (on) was replaced by the third's (off) while it waited.
	want := []string{"mic off", "mic off", "host lock", "chat a", "chat b"}
	if !slices.Equal(rec.calls, want) {
		t.Errorf("asked for %q, want %q", rec.calls, want)
	}
	if m.mic || m.acting || len(m.queue) != 0 {
		t.Errorf("mic %v, in flight %v, queued %d: want off, nothing", m.mic, m.acting, len(m.queue))
	}

	// A stalled call: the queue stops at its bound and says so.
	m, rec = callWith(t, 2, 120, 40, true)
	for range maxQueued + 5 {
		mm, _ := m.Update(keyMsg("l"))
		m = mm.(Model)
	}
	if len(m.queue) != maxQueued || !strings.Contains(m.notice, "Not sent") || len(rec.calls) != 0 {
		t.Errorf("queued %d (want %d), notice %q", len(m.queue), maxQueued, m.notice)
	}
}

// TestRequestErrorsShow: a request the call could not carry out says why
// on the notice line.
func TestRequestErrorsShow(t *testing.T) {
	m, rec := callWith(t, 2, 120, 40, false)
	rec.err = errors.New("your message was not sent: not connected")
	m = press(t, m, "c", "h", "i", "enter")
	if s := termimg.StripANSI(m.View().Content); !strings.Contains(s, "your message was not sent: not connected") {
		t.Errorf("the failure is not shown:\n%s", s)
	}
	// The call goes on: the next request is made.
	rec.err = nil
	if m = press(t, m, "esc", "m"); m.mic || rec.calls[len(rec.calls)-1] != "mic off" {
		t.Errorf("after a failure, asked for %q", rec.calls)
	}
}

// TestLeaveDoesNotWaitForTheQueue: a request stuck on the network does not
// hold up leaving, which closes the connection it is stuck on.
func TestLeaveDoesNotWaitForTheQueue(t *testing.T) {
	m, _ := callWith(t, 2, 120, 40, false)
	ctrl := newStalled()
	m.cfg.Controls = ctrl
	mm, stuck := m.Update(keyMsg("m"))
	m = mm.(Model)
	go func() { _ = stuck() }()
	if got := <-ctrl.started; got != "mic off" {
		t.Fatalf("started %q", got)
	}
	mm, _ = m.Update(keyMsg("q"))
	mm, leave := mm.Update(keyMsg("y"))
	if leave == nil {
		t.Fatal("y did not leave while a request was stuck")
	}
	go func() { leave() }()
	if got := <-ctrl.started; got != "leave" {
		t.Errorf("started %q, want leave", got)
	}
	close(ctrl.release)
	// A second goodbye is not said.
	if _, again := mm.Update(keyMsg("ctrl+c")); again != nil {
		t.Error("ctrl+c after y said goodbye twice")
	}
	// The Closed event that follows ends the program.
	if _, cmd := mm.Update(EventMsg{Event: client.Closed{Err: client.ErrLeft}}); cmd == nil {
		t.Error("the call closed and the program goes on")
	}
}
