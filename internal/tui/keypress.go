package tui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// keyPress handles a key by what the screen is doing: ctrl+c leaves
// whatever it is; typing in the chat takes every other key; a question
// (leave, remove, end, turn a knock away) waits for y or n; otherwise the
// key is one of the call's.
func (m Model) keyPress(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch {
	case msg.String() == "ctrl+c":
		return m.leave()
	case m.panel == panelChat && m.input.Focused():
		return m.chatKey(msg)
	case m.confirm != nil:
		return m.confirmKey(msg)
	}
	for _, keys := range []func(Model, tea.KeyPressMsg) (Model, tea.Cmd, bool){
		Model.selfKey, Model.panelKey, Model.moveKey, Model.hostKey,
	} {
		if m, cmd, ok := keys(m, msg); ok {
			return m, cmd
		}
	}
	return m, nil
}

// chatKey: enter sends what was typed, esc closes the chat, anything else
// is typing.
func (m Model) chatKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	switch msg.String() {
	case "enter":
		text := strings.TrimSpace(m.input.Value())
		m.input.Reset()
		if text == "" {
			return m, nil
		}
		return m.request(action{kind: actChat, text: text})
	case "esc":
		m.input.Blur()
		m.panel = panelNone
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// confirmKey answers the question on the status bar: y does what it
// asked, n (or esc) does nothing.
func (m Model) confirmKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	c := m.confirm
	switch {
	case key.Matches(msg, m.keys.Confirm):
		m.confirm = nil
		if c.action == "leave" {
			return m.leave()
		}
		return m.request(action{kind: actHost, host: c.action, target: c.target})
	case key.Matches(msg, m.keys.Cancel):
		m.confirm = nil
	}
	return m, nil
}

// selfKey handles this person's own media: leave (asking first), mic,
// camera, screen.
func (m Model) selfKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	k := m.keys
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, k.Leave):
		m.confirm = &confirm{action: "leave", question: "Leave the call? [y/n]"}
	case key.Matches(msg, k.Mic):
		if m.cfg.NoMic {
			m.say("no microphone in this call: rejoin with --audio testsrc or a device")
			break
		}
		m.mic = !m.mic
		m, cmd = m.request(action{kind: actMic, on: m.mic})
	case key.Matches(msg, k.Camera):
		if m.cfg.NoCamera {
			m.say("no camera in this call: rejoin with --video testsrc or a device")
			break
		}
		m.camera = !m.camera
		m, cmd = m.request(action{kind: actCamera, on: m.camera})
	case key.Matches(msg, k.Share):
		// Opening the display and publishing take a moment (a
		// signalling round trip): off the UI's goroutine, like every
		// request to the call, but on a path of its own (shareDoneMsg).
		if m.shareBusy {
			break
		}
		m.shareBusy = true
		on, ctrl := !m.sharing, m.cfg.Controls
		if on {
			m.say("Starting to share your screen…")
		}
		cmd = func() tea.Msg { return shareDoneMsg{on: on, err: ctrl.ShareScreen(on)} }
	default:
		return m, nil, false
	}
	return m, cmd, true
}

// panelKey opens and closes the side panels.
func (m Model) panelKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	k := m.keys
	switch {
	case key.Matches(msg, k.People):
		m.panel = toggle(m.panel, panelPeople)
	case key.Matches(msg, k.Chat):
		m.panel = toggle(m.panel, panelChat)
		if m.panel == panelChat {
			m.unread = 0
			return m, m.input.Focus(), true
		}
	case key.Matches(msg, k.Help):
		m.panel = toggle(m.panel, panelHelp)
	default:
		return m, nil, false
	}
	return m, nil, true
}

func toggle(cur, p panel) panel {
	if cur == p {
		return panelNone
	}
	return p
}

// moveKey selects, pins and pages through the tiles, or with shared
// screens in the spotlight goes through them.
func (m Model) moveKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	k := m.keys
	ids := m.visible()
	last := max(0, len(ids)-1)
	switch {
	case key.Matches(msg, k.Left):
		m.sel = max(0, m.sel-1)
	case key.Matches(msg, k.Right):
		m.sel = min(last, m.sel+1)
	case key.Matches(msg, k.Up):
		m.sel = max(0, m.sel-m.geo.Grid.Cols)
	case key.Matches(msg, k.Down):
		m.sel = min(last, m.sel+m.geo.Grid.Cols)
	case key.Matches(msg, k.Pin):
		if m.sel < len(ids) {
			m.pin(ids[m.sel])
		}
	case key.Matches(msg, k.Unpin):
		m.pinned = ""
	case key.Matches(msg, k.PrevPage) && m.spotScreen() != "":
		m.screenAt = (m.screenAt + len(m.screens) - 1) % len(m.screens)
	case key.Matches(msg, k.NextPage) && m.spotScreen() != "":
		m.screenAt = (m.screenAt + 1) % len(m.screens)
	case key.Matches(msg, k.PrevPage):
		m.page = max(0, m.page-1)
		m.sel = 0
	case key.Matches(msg, k.NextPage):
		m.page = min(m.geo.Grid.Pages-1, m.page+1)
		m.sel = 0
	default:
		return m, nil, false
	}
	return m, nil, true
}

// pin pins a participant, or unpins them when they are.
func (m *Model) pin(id string) {
	if m.pinned == id {
		m.pinned = ""
	} else {
		m.pinned = id
	}
}

// hostKey handles the host's keys; a guest's do nothing. Removing, ending
// and turning a knock away ask first.
func (m Model) hostKey(msg tea.KeyPressMsg) (Model, tea.Cmd, bool) {
	if !m.me.Host {
		return m, nil, false
	}
	k := m.keys
	ids := m.visible()
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, k.Lock):
		act := "lock"
		if m.room.Locked {
			act = "unlock"
		}
		m, cmd = m.request(action{kind: actHost, host: act})
	case key.Matches(msg, k.Hide):
		act := "hide"
		if m.room.Visibility == "private" {
			act = "unhide"
		}
		m, cmd = m.request(action{kind: actHost, host: act})
	case key.Matches(msg, k.Remove):
		if m.sel < len(ids) {
			p := m.people[ids[m.sel]]
			m.confirm = &confirm{action: "remove", target: p.ID, question: "Remove " + p.Name + " for good? They cannot come back. [y/n]"}
		}
	case len(m.knocks) > 0 && key.Matches(msg, k.Admit):
		m, cmd = m.request(action{kind: actHost, host: "admit", target: m.knocks[0].ID})
	case len(m.knocks) > 0 && key.Matches(msg, k.Deny):
		kn := m.knocks[0]
		m.confirm = &confirm{action: "deny", target: kn.ID, question: "Turn " + kn.Name + " away? They cannot ask again. [y/n]"}
	case key.Matches(msg, k.End):
		m.confirm = &confirm{action: "end", question: "End the room for everyone? [y/n]"}
	default:
		return m, nil, false
	}
	return m, cmd, true
}

// click pins the tile under the mouse, or unpins it when it is pinned. A
// shared screen in the spotlight takes no clicks.
func (m Model) click(msg tea.MouseClickMsg) (Model, tea.Cmd) {
	if m.geo.Mode != modeGrid && m.geo.Mode != modePinned {
		return m, nil
	}
	t, ok := m.geo.tileAt(msg.X, msg.Y)
	if !ok {
		return m, nil
	}
	for i, id := range m.visible() {
		if id == t.ID {
			m.sel = i
		}
	}
	m.pin(t.ID)
	return m, nil
}

// ids lists the participants on tiles: everyone else, by arrival.
func (m Model) ids() []string {
	out := make([]string, 0, len(m.order))
	for _, id := range m.order {
		if _, ok := m.people[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// visible is the page of tiles shown now.
func (m Model) visible() []string { return m.geo.Page }
