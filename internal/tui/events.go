package tui

import (
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// event applies a call event, its text made safe first (untrusted.go).
func (m Model) event(ev client.Event) (Model, tea.Cmd) {
	switch e := cleanEvent(ev).(type) {
	case client.Joined:
		m.me, m.room = e.You, e.Room
		m.reconnecting = 0
		for _, p := range e.Participants {
			m.add(p)
		}
	case client.ParticipantJoined:
		m.add(e.Participant)
		m.say(e.Name + " joined")
	case client.ParticipantLeft:
		m.left(e.ParticipantLeft)
	case client.RemoteTrack:
		m.mediaFailed = ""
		m.remoteTrack(e.Info)
	case client.MediaFailed:
		m.mediaFailed = e.Reason
	case client.Bandwidth:
		for _, p := range m.people {
			p.slowLink = p.videoTrack != "" && slices.Contains(e.Paused, p.videoTrack)
		}
	case client.TrackUnpublished:
		m.unpublished(e.Track)
	case client.Muted:
		if p := m.people[e.ParticipantID]; p != nil {
			if e.Kind == api.KindAudio {
				p.Muted.Audio = e.Muted
			} else {
				p.Muted.Video = e.Muted
			}
		}
	case client.Speaking:
		if p := m.people[e.ParticipantID]; p != nil {
			p.speaking = e.Speaking
		}
		if e.Speaking && e.Active {
			m.active = e.ParticipantID
		}
	case client.RoomUpdated:
		m.room = e.Room
	case client.Knock:
		m = m.knocked(e.Knock)
	case client.KnockEnded:
		m = m.knockEnded(e.KnockEnded)
	case client.Chat:
		m.chatted(e.Chat)
	case client.Ending:
		m.say(fmt.Sprintf("The room's time runs out at %s.", e.EndsAt.Local().Format("15:04")))
	case client.Reconnecting:
		m.reconnecting = e.Attempt
	case client.Reconnected:
		m.reconnecting = 0
	case client.ServerError:
		m.serverError(e.SignalError)
	case client.Removed:
		m.over = "You were removed by the host."
	case client.Ended:
		m.over = "The host ended the room."
	case client.Closed:
		return m.closed(e.Err)
	}
	return m, nil
}

// left says who left, and how, and takes their tile away.
func (m *Model) left(e api.ParticipantLeft) {
	if p := m.people[e.ID]; p != nil {
		switch e.Reason {
		case "removed":
			m.say(p.Name + " was removed by the host")
		default:
			m.say(p.Name + " left")
		}
	}
	m.remove(e.ID)
}

// remoteTrack notes someone's video arriving; a new shared screen takes
// the spotlight ([ and ] go back to others).
func (m *Model) remoteTrack(t api.Track) {
	p := m.people[t.ParticipantID]
	switch {
	case p == nil:
	case t.Kind == api.KindVideo:
		p.video, p.videoTrack = true, t.ID
	case t.Kind == api.KindScreen:
		if i := slices.Index(m.screens, p.ID); i >= 0 {
			m.screenAt = i
		} else {
			m.screens = append(m.screens, p.ID)
			m.screenAt = len(m.screens) - 1
			m.say(p.Name + " is sharing their screen")
		}
	}
}

// unpublished forgets a video or a screen that stopped.
func (m *Model) unpublished(t api.Track) {
	if p := m.people[t.ParticipantID]; p != nil && t.Kind == api.KindVideo {
		p.video = false
		m.cfg.Frames.Drop(t.ParticipantID)
	}
	if t.Kind == api.KindScreen {
		m.dropScreen(t.ParticipantID)
	}
}

// chatted keeps a chat message (the last 500), counting it unread while
// the chat is closed.
func (m *Model) chatted(c api.Chat) {
	m.chat = append(m.chat, c)
	if len(m.chat) > 500 {
		m.chat = m.chat[len(m.chat)-500:]
	}
	if m.panel != panelChat && c.From != m.me.ID {
		m.unread++
	}
}

// serverError shows what the server refused.
func (m *Model) serverError(e api.SignalError) {
	if e.Code == api.CodeScreenShareLimit {
		// The runner has already taken the refused screen back; if the
		// start has not reported yet, it must not turn it on.
		m.sharing = false
		m.shareRefused = m.shareBusy
		m.say(shareRefusal(e.Sharers))
		return
	}
	m.say(e.Message)
}

// closed ends the program when the person left; otherwise it says what
// happened on a screen of its own, which any key (or a minute) closes.
func (m Model) closed(err error) (Model, tea.Cmd) {
	if err == nil || errors.Is(err, client.ErrLeft) {
		return m, tea.Quit
	}
	m.err = err
	if m.over == "" {
		m.over = "The call ended: " + safetext.Line(err.Error())
	}
	m.ended = true
	return m, tea.Tick(time.Minute, func(time.Time) tea.Msg { return quitMsg{} })
}
