package tui

import (
	"slices"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
)

// The call screen asks the call for things (mute, chat, host actions) but
// never waits for it: a request is a write on the WebSocket, and a stalled
// network would freeze the screen. Update queues the request and returns
// a command that carries it out off the UI's goroutine; its result comes
// back as an actionDoneMsg. One request is in flight at a time, so they
// reach the server in the order they were made (m then m again must end
// unmuted), and the queue is bounded.

// actionKind says what a request asks of Controls.
type actionKind int

const (
	actMic actionKind = iota
	actCamera
	actChat
	actHost
)

// action is one request to the call.
type action struct {
	kind   actionKind
	on     bool   // mic and camera
	text   string // chat
	host   string // a host action: lock, remove, admit, deny…
	target string // who a host action is about: a participant or a knock
}

// maxQueued bounds the requests waiting behind the one in flight: a
// stalled connection and a busy keyboard must not grow the queue without
// end. Mic and camera never count twice (the newest replaces the waiting
// one), so only chat and host actions can reach it.
const maxQueued = 16

// actionDoneMsg is a request's result.
type actionDoneMsg struct {
	act action
	err error
}

// leaveDoneMsg: the goodbye was said (the Closed event ends the program).
type leaveDoneMsg struct{}

// request queues a to be carried out, and starts it when nothing else is
// in flight.
func (m Model) request(a action) (Model, tea.Cmd) {
	if a.kind == actMic || a.kind == actCamera {
		// Only the newest wish counts: replace one still waiting.
		if i := slices.IndexFunc(m.queue, func(q action) bool { return q.kind == a.kind }); i >= 0 {
			m.queue = slices.Clone(m.queue)
			m.queue[i] = a
			return m, nil
		}
	}
	if len(m.queue) >= maxQueued {
		m.say("Not sent: the call is not answering yet. Try again in a moment.")
		return m, nil
	}
	m.queue = append(slices.Clone(m.queue), a)
	return m.next()
}

// next starts the first queued request when none is in flight.
func (m Model) next() (Model, tea.Cmd) {
	if m.acting || len(m.queue) == 0 {
		return m, nil
	}
	a := m.queue[0]
	m.queue = slices.Clone(m.queue[1:])
	m.acting = true
	return m, perform(m.cfg.Controls, a)
}

// actionDone takes a request's result and starts the next one.
func (m Model) actionDone(msg actionDoneMsg) (Model, tea.Cmd) {
	m.acting = false
	if msg.err != nil {
		m.say(safetext.Line(msg.err.Error()))
	}
	return m.next()
}

// perform is the command that carries out a on the call.
func perform(c Controls, a action) tea.Cmd {
	return func() tea.Msg {
		var err error
		switch a.kind {
		case actMic:
			err = c.SetMic(a.on)
		case actCamera:
			err = c.SetCamera(a.on)
		case actChat:
			err = c.SendChat(a.text)
		case actHost:
			err = c.Host(a.host, a.target)
		}
		return actionDoneMsg{act: a, err: err}
	}
}

// leave says goodbye off the UI's goroutine, once: it does not wait for
// the queue, whose first request may be the one that is stuck.
func (m Model) leave() (Model, tea.Cmd) {
	if m.leaving {
		return m, nil
	}
	m.leaving = true
	c := m.cfg.Controls
	return m, func() tea.Msg {
		c.Leave()
		return leaveDoneMsg{}
	}
}
