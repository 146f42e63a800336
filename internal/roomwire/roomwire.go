// Package roomwire renders a room as clients see it (pkg/api's Room): the
// one rendering the REST API, the live calls' joined and room_updated
// messages and the scheduler's notifications share. A plain function of
// the room and what it is told (the server's public URL and cap on shared
// screens, the time, the people in the call): no I/O, no clock, no calls.
package roomwire

import (
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Server is what rendering needs of the server, fixed for its life.
type Server struct {
	// PublicURL is the base of links, without a trailing slash.
	PublicURL string
	// MaxScreenShares is the server's cap on screens shared at once in a
	// call; a room's own cap shows when it is lower.
	MaxScreenShares int
}

// Render is r as clients see it at now, with participants people in its
// live call.
func (s Server) Render(r room.Room, now time.Time, participants int) api.Room {
	out := api.Room{
		ID:              r.ID,
		Link:            s.PublicURL + "/r/" + r.ID,
		Name:            r.Name,
		Theme:           r.Theme,
		Visibility:      string(r.Visibility),
		Locked:          r.Locked,
		MaxParticipants: r.Capacity,
		// What the call enforces, so nobody has to know the server's cap
		// to read it.
		MaxScreenShares: r.ScreenShareCap(s.MaxScreenShares),
		State:           string(r.StateAt(now)),
		StartsAt:        r.StartsAt.UTC(),
		TimeZone:        r.TimeZone,
		DurationSeconds: int64(r.Duration / time.Second),
		CreatedAt:       r.CreatedAt.UTC(),
		RemindSeconds:   int64(r.Remind / time.Second),
		Participants:    participants,
	}
	if end := r.EndsAt(); !end.IsZero() {
		out.EndsAt = &end
	}
	if !r.EndedAt.IsZero() {
		e := r.EndedAt.UTC()
		out.EndedAt = &e
	} else if out.State == string(room.Ended) && out.EndsAt != nil {
		out.EndedAt = out.EndsAt
	}
	return out
}
