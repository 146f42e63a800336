// Package api holds the types roomsd's HTTP API speaks, shared by the rooms
// CLI and any outside program. Everything here is plain JSON data.
package api

import "time"

// Version is the path prefix of the REST API.
const Version = "v1"

// Headers that carry secrets. They are never logged.
const (
	// HeaderHostKey carries a room's host key on host actions.
	HeaderHostKey = "Rooms-Host-Key"
	// HeaderCreateToken carries the server's create token when roomsd
	// listens beyond loopback.
	HeaderCreateToken = "Rooms-Create-Token"
)

// Room is a room as the API shows it.
type Room struct {
	ID              string     `json:"id"`
	Link            string     `json:"link"`
	Name            string     `json:"name"`
	Theme           string     `json:"theme"`
	Visibility      string     `json:"visibility"`
	Locked          bool       `json:"locked"`
	MaxParticipants int        `json:"max_participants"`
	MaxScreenShares int        `json:"max_screen_shares"` // in effect: the room's cap if lower, else the server's
	State           string     `json:"state"`
	StartsAt        time.Time  `json:"starts_at"`
	TimeZone        string     `json:"time_zone"`
	DurationSeconds int64      `json:"duration_seconds,omitempty"`
	EndsAt          *time.Time `json:"ends_at,omitempty"`
	EndedAt         *time.Time `json:"ended_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	// Participants is how many people are in the call now.
	Participants int `json:"participants"`
	// HostKey is returned once, when the room is created.
	HostKey string `json:"host_key,omitempty"`
	// RemindSeconds is how long before a booked room opens its invitees
	// are reminded; 0: not.
	RemindSeconds int64 `json:"remind_seconds,omitempty"`
	// Invitations, for the host, say who is told and how.
	Invitations []Invitation `json:"invitations,omitempty"`
	// WebhookSecret signs this room's webhook when it has one; returned
	// once, at create. Each webhook has its own: see WebhookSecrets.
	WebhookSecret string `json:"webhook_secret,omitempty"`
	// WebhookSecrets are the signing secrets of this room's webhooks, one
	// per endpoint; returned once, at create.
	WebhookSecrets []WebhookSecret `json:"webhook_secrets,omitempty"`
}

// CreateRoomRequest is the body of POST /v1/rooms. Every field is optional.
type CreateRoomRequest struct {
	Name  string `json:"name,omitempty"`
	Theme string `json:"theme,omitempty"`
	// StartsAt, when set and in the future, books the room: it is
	// scheduled until then.
	StartsAt        *time.Time `json:"starts_at,omitempty"`
	TimeZone        string     `json:"time_zone,omitempty"`
	DurationSeconds int64      `json:"duration_seconds,omitempty"`
	Visibility      string     `json:"visibility,omitempty"`
	// MaxParticipants is 1 to the server's cap; 0 leaves the field out,
	// which is the default (50, or the server's cap if lower). An explicit
	// "max_participants": 0 in JSON is refused.
	MaxParticipants int `json:"max_participants,omitempty"`
	// MaxScreenShares caps the screens shared at once in the room's
	// call, 1 to the server's cap; 0 (or absent) follows the server's.
	MaxScreenShares int `json:"max_screen_shares,omitempty"`
	// Invite lists handles on this server and email addresses to tell.
	Invite []string `json:"invite,omitempty"`
	// RemindSeconds: nil reminds 10 minutes before a booked room opens;
	// 0 does not remind.
	RemindSeconds *int64 `json:"remind_seconds,omitempty"`
	// Webhooks are told about this room's events (signed, retried).
	Webhooks []string `json:"webhooks,omitempty"`
}

// UpdateRoomRequest is the body of PATCH /v1/rooms/{id}: only the fields
// present change.
type UpdateRoomRequest struct {
	Name            *string    `json:"name,omitempty"`
	Theme           *string    `json:"theme,omitempty"`
	StartsAt        *time.Time `json:"starts_at,omitempty"`
	TimeZone        *string    `json:"time_zone,omitempty"`
	DurationSeconds *int64     `json:"duration_seconds,omitempty"`
	MaxParticipants *int       `json:"max_participants,omitempty"`
	Locked          *bool      `json:"locked,omitempty"`
	Visibility      *string    `json:"visibility,omitempty"`
	// MaxScreenShares sets the room's cap on screens shared at once, 1
	// to the server's cap; 0 hands it back to the server's cap.
	MaxScreenShares *int `json:"max_screen_shares,omitempty"`
}

// RoomList is a page of rooms.
type RoomList struct {
	Rooms []Room `json:"rooms"`
}

// MineRequest is the body of POST /v1/rooms/mine: the rooms the caller
// holds host keys for. Keys travel in the body so they stay out of logs.
type MineRequest struct {
	Rooms []HostKeyRef `json:"rooms"`
}

// HostKeyRef names a room and the host key the caller holds for it.
type HostKeyRef struct {
	ID      string `json:"id"`
	HostKey string `json:"host_key"`
}

// Theme colours a room.
type Theme struct {
	Name        string  `json:"name"`
	Emoji       string  `json:"emoji"`
	Title       string  `json:"title"`
	Description string  `json:"description"`
	Palette     Palette `json:"palette"`
}

// Palette is a theme's colours as "#rrggbb".
type Palette struct {
	Accent     string `json:"accent"`
	Background string `json:"background"`
	Text       string `json:"text"`
	TileBorder string `json:"tile_border"`
}

// ThemeList is the body of GET /v1/themes.
type ThemeList struct {
	Themes []Theme `json:"themes"`
}

// ServerInfo is the body of GET /v1/info.
type ServerInfo struct {
	Version         string `json:"version"`
	PublicURL       string `json:"public_url"`
	MaxParticipants int    `json:"max_participants"`
	// MaxScreenShares is the server's cap on screens shared at once in a
	// call, which rooms may lower.
	MaxScreenShares int `json:"max_screen_shares"`
	// CreateTokenRequired is true when creating rooms needs the create token.
	CreateTokenRequired bool `json:"create_token_required"`
	// SignalProtocol is the signalling subprotocol the server speaks
	// (SignalProtocol); a client speaking another warns.
	SignalProtocol string `json:"signal_protocol"`
}

// ParticipantList is the body of GET /v1/rooms/{id}/participants.
type ParticipantList struct {
	Participants []Participant `json:"participants"`
}
