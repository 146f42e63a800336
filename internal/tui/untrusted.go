package tui

import (
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// Everything the screen shows that came from the server or another
// participant (names, the room's name and link, chat, the server's error
// messages) goes through safetext.Line once, as it arrives, so the model
// holds only text that is safe to draw: no escape sequence, no
// bidirectional control, no line break (a chat message with several lines
// shows them joined by safetext.Separator, on its sender's line).

// cleanRoom is the room with its shown fields made safe.
func cleanRoom(r api.Room) api.Room {
	r.ID, r.Link, r.Name = safetext.Line(r.ID), safetext.Line(r.Link), safetext.Line(r.Name)
	return r
}

// cleanParticipant is p with its name made safe.
func cleanParticipant(p api.Participant) api.Participant {
	p.Name = safetext.Line(p.Name)
	return p
}

// cleanEvent makes the text an event carries safe to show.
func cleanEvent(ev client.Event) client.Event {
	switch e := ev.(type) {
	case client.Joined:
		e.You, e.Room = cleanParticipant(e.You), cleanRoom(e.Room)
		ps := make([]api.Participant, len(e.Participants))
		for i, p := range e.Participants {
			ps[i] = cleanParticipant(p)
		}
		e.Participants = ps
		return e
	case client.ParticipantJoined:
		e.Participant = cleanParticipant(e.Participant)
		return e
	case client.RoomUpdated:
		e.Room = cleanRoom(e.Room)
		return e
	case client.Chat:
		e.Name, e.Text = safetext.Line(e.Name), safetext.Line(e.Text)
		return e
	case client.Knock:
		e.ID, e.Name = safetext.Line(e.ID), safetext.Line(e.Name)
		return e
	case client.KnockEnded:
		e.ID = safetext.Line(e.ID)
		return e
	case client.MediaFailed:
		// The addresses in it come from the server's candidates.
		e.Reason = safetext.Line(e.Reason)
		return e
	case client.ServerError:
		e.Message = safetext.Line(e.Message)
		sharers := make([]string, len(e.Sharers))
		for i, s := range e.Sharers {
			sharers[i] = safetext.Line(s)
		}
		e.Sharers = sharers
		return e
	}
	return ev
}
