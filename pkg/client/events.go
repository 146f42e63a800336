package client

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Event is something that happened in a call. The concrete types below
// are the only ones sent.
type Event interface{ isEvent() }

// Joined: the call let us in (again, after a reconnect).
type Joined struct{ api.Joined }

// ParticipantJoined: someone came in.
type ParticipantJoined struct{ api.Participant }

// ParticipantLeft: someone went, and why.
type ParticipantLeft struct{ api.ParticipantLeft }

// TrackPublished: someone started sending a track.
type TrackPublished struct{ api.Track }

// TrackUnpublished: a track stopped.
type TrackUnpublished struct{ api.Track }

// RemoteTrack: media of a published track is arriving; read it from Track.
type RemoteTrack struct {
	Info     api.Track
	Track    *webrtc.TrackRemote
	Receiver *webrtc.RTPReceiver
}

// RoomUpdated: the room's settings changed (locked, hidden, renamed...).
type RoomUpdated struct{ api.Room }

// Muted: someone muted or unmuted themselves.
type Muted struct{ api.Mute }

// Chat: a chat message, ours included.
type Chat struct{ api.Chat }

// Speaking: someone started or stopped speaking; Active marks the active
// speaker, the one to put in the spotlight.
type Speaking struct {
	ParticipantID string
	Speaking      bool
	Active        bool
}

// Removed: the host removed us; the call is over for us and will not
// reconnect.
type Removed struct{ api.Removed }

// Ending: the room's time runs out at EndsAt.
type Ending struct{ api.Ending }

// Ended: the room ended for everyone.
type Ended struct{ api.Ended }

// Reconnecting: the connection dropped; the client is trying again.
type Reconnecting struct {
	Attempt int
	Err     error
}

// Reconnected: the call is whole again after Reconnecting. Rejoined says
// how: false when the same connections came back (the link returned, or
// an ICE restart, Restarts counting those asked for in the whole call),
// true after a full rejoin, whose Joined came first. ParticipantID is
// ours (the same as before unless the server gave our place away); After
// is how long the interruption lasted, from when it was noticed.
type Reconnected struct {
	Rejoined      bool
	ParticipantID string
	Restarts      int
	After         time.Duration
}

// MediaFailed: a PeerConnection's ICE failed on every candidate pair, so
// media cannot flow (UDP blocked on this network, most often). PC names
// the connection (publish or subscribe; "" when the server's side gave up
// first and closed the call connection with api.CloseMediaFailed), Transports the server's
// candidates that were tried ("udp 192.0.2.1:7882"), Reason what it means
// for a person. The client then rejoins with fresh connections, and keeps
// trying, as after a dropped signalling connection (Reconnecting follows).
type MediaFailed struct {
	PC         api.PeerConnection
	Transports []string
	Reason     string
}

// ServerError: the server refused something we sent; the call goes on.
type ServerError struct{ api.SignalError }

// Closed is the last event: the call is over for this client, with why.
type Closed struct{ Err error }

// Bandwidth says which of the others' video tracks the server pauses for
// this participant because its downlink cannot carry them (the whole
// list each time; empty: none).
type Bandwidth struct{ api.Bandwidth }

func (Bandwidth) isEvent() {}

func (Joined) isEvent()            {}
func (ParticipantJoined) isEvent() {}
func (ParticipantLeft) isEvent()   {}
func (TrackPublished) isEvent()    {}
func (TrackUnpublished) isEvent()  {}
func (RemoteTrack) isEvent()       {}
func (RoomUpdated) isEvent()       {}
func (Muted) isEvent()             {}
func (Chat) isEvent()              {}
func (Speaking) isEvent()          {}
func (Removed) isEvent()           {}
func (Ended) isEvent()             {}
func (Ending) isEvent()            {}
func (Reconnecting) isEvent()      {}
func (ServerError) isEvent()       {}
func (MediaFailed) isEvent()       {}
func (Reconnected) isEvent()       {}
func (Closed) isEvent()            {}
