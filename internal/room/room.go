// Package room holds the rules of a room: what it is, who may join it and who
// may do what to it. It does no I/O, so every rule is a table test.
package room

import (
	"time"
)

// Visibility says whether a room is listed in the server's directory.
type Visibility string

// Visibilities. A private room is reachable only by its link.
const (
	Public  Visibility = "public"
	Private Visibility = "private"
)

// State is where a room is in its life: scheduled, then open, then ended.
type State string

// States, in the only order a room moves through them.
const (
	Scheduled State = "scheduled"
	Open      State = "open"
	Ended     State = "ended"
)

// DefaultCapacity is the number of participants a room admits when its
// creator does not say, and the default server cap.
const DefaultCapacity = 50

// DefaultMaxScreenShares is the default server cap on screens shared at
// once in one call.
const DefaultMaxScreenShares = 10

// Bounds on what a room's creator may set.
const (
	MaxNameLen     = 80
	MaxDuration    = 7 * 24 * time.Hour
	MinDuration    = time.Minute
	MaxScheduleAge = 366 * 24 * time.Hour // how far ahead a room may be booked
	// MaxScreenShares is the most screens any call may show at once: no
	// server cap, and so no room's, goes above it.
	MaxScreenShares = 50
)

// Room is a room as the store keeps it.
type Room struct {
	ID         string
	Name       string
	Theme      string
	Visibility Visibility
	Locked     bool
	Capacity   int
	// MaxScreenShares caps the screens shared at once in the room's call;
	// 0 leaves it to the server's cap. The server's cap still wins when
	// it is lower (it may have been lowered since): see ScreenShareCap.
	MaxScreenShares int
	// State is the stored state. A scheduled room whose time has come is
	// open even before anything rewrites it: use StateAt.
	State    State
	StartsAt time.Time // UTC
	TimeZone string    // the creator's IANA zone, for showing StartsAt
	// Duration, when not zero, ends the room that long after StartsAt.
	Duration time.Duration
	// Remind, when not zero, is how long before StartsAt invitees of a
	// booked room are reminded.
	Remind      time.Duration
	HostKeyHash []byte
	CreatedAt   time.Time
	UpdatedAt   time.Time
	EndedAt     time.Time // zero until ended
}

// StateAt is the room's state at now: a scheduled room opens at StartsAt and
// a room with a duration ends at StartsAt+Duration.
func (r Room) StateAt(now time.Time) State {
	if r.State == Ended {
		return Ended
	}
	if r.Duration > 0 && !now.Before(r.StartsAt.Add(r.Duration)) {
		return Ended
	}
	if r.State == Scheduled && now.Before(r.StartsAt) {
		return Scheduled
	}
	return Open
}

// ScreenShareCap is how many screens the room's call may show at once on
// a server whose cap is serverCap: the room's own cap when it set one, but
// never more than the server's.
func (r Room) ScreenShareCap(serverCap int) int {
	if r.MaxScreenShares > 0 && r.MaxScreenShares < serverCap {
		return r.MaxScreenShares
	}
	return serverCap
}

// EndsAt is when the room ends by itself, or the zero time if it does not.
func (r Room) EndsAt() time.Time {
	if r.Duration == 0 {
		return time.Time{}
	}
	return r.StartsAt.Add(r.Duration)
}
