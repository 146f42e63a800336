package room

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rooms-dev/rooms/internal/safetext"
)

// Refusals. The API and signalling map each to a stable code.
var (
	ErrFull       = errors.New("the room is full")
	ErrLocked     = errors.New("the room is locked")
	ErrBanned     = errors.New("you were removed from this room by the host")
	ErrNotOpenYet = errors.New("the room is not open yet")
	ErrEnded      = errors.New("the room has ended")
	ErrForbidden  = errors.New("only the room's host may do that")
	ErrInvalid    = errors.New("invalid room setting")
	ErrBadTime    = errors.New("bad time")
	// ErrNotInCall means a remove named nobody (or several people) in the call.
	ErrNotInCall = errors.New("nobody by that name or id is in the call")
	// ErrNoKnock means an admit or deny named nobody (or several people)
	// knocking.
	ErrNoKnock = errors.New("nobody knocking has that name or id")
)

// NotOpenYetError says when a scheduled room opens.
type NotOpenYetError struct{ At time.Time }

func (e *NotOpenYetError) Error() string {
	return fmt.Sprintf("the room is not open yet: it opens at %s", e.At.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrNotOpenYet) hold.
func (e *NotOpenYetError) Is(target error) bool { return target == ErrNotOpenYet }

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Joiner is someone asking to enter a room's call.
type Joiner struct {
	IsHost bool
	Banned bool
	// Returning is true for a key that has been in the call before: a
	// lock keeps newcomers out, not people coming back after a drop.
	Returning bool
}

// Admit decides whether j may enter r at now while inCall people are in it.
// The order matters: an ended room is ended for everyone, a banned key never
// gets in, and a host is let through a lock (but not past capacity, which
// is what the server can carry).
func Admit(r Room, j Joiner, inCall int, now time.Time) error {
	switch r.StateAt(now) {
	case Ended:
		return ErrEnded
	case Scheduled:
		return &NotOpenYetError{At: r.StartsAt}
	}
	if j.Banned {
		return ErrBanned
	}
	if r.Locked && !j.IsHost && !j.Returning {
		return ErrLocked
	}
	if inCall >= r.Capacity {
		return ErrFull
	}
	return nil
}

// Action is something done to a room. There is deliberately no action to
// mute someone else: nobody can, host included.
type Action string

// Actions on a room.
const (
	ActLock   Action = "lock"
	ActUnlock Action = "unlock"
	ActHide   Action = "hide"
	ActUnhide Action = "unhide"
	ActEdit   Action = "edit"
	ActRemove Action = "remove"
	ActEnd    Action = "end"
	ActView   Action = "view"
	ActJoin   Action = "join"
	// ActAdmit and ActDeny answer a knock on a locked room.
	ActAdmit Action = "admit"
	ActDeny  Action = "deny"
)

// Authorize says whether someone may do act; only the host may change a
// room or remove people from it, and anyone with the link may view or join.
func Authorize(act Action, isHost bool) error {
	switch act {
	case ActView, ActJoin:
		return nil
	case ActLock, ActUnlock, ActHide, ActUnhide, ActEdit, ActRemove, ActEnd, ActAdmit, ActDeny:
		if isHost {
			return nil
		}
		return ErrForbidden
	default:
		return fmt.Errorf("%w: unknown action %q", ErrForbidden, act)
	}
}

// Spec is what a creator sets on a new room; zero fields take defaults.
type Spec struct {
	Name       string
	Theme      string
	Visibility Visibility
	Capacity   int
	StartsAt   time.Time // zero: now
	TimeZone   string
	Duration   time.Duration
	// MaxScreenShares is the room's cap on screens shared at once; 0
	// leaves it to the server's.
	MaxScreenShares int
}

// Limits are the server's bounds on rooms.
type Limits struct {
	MaxCapacity int
	// MaxScreenShares is the server's cap on screens shared at once in a
	// call, which a room's own cap may not exceed; 0 means
	// DefaultMaxScreenShares.
	MaxScreenShares int
}

func (l Limits) screenShares() int {
	if l.MaxScreenShares == 0 {
		return DefaultMaxScreenShares
	}
	return l.MaxScreenShares
}

// checkScreenShares refuses a room cap on screens that the server's cap
// does not allow. It runs when the cap is set, not in check on every edit:
// a server restarted with a lower cap must not stop the host from, say,
// locking the room, and in the call the lower cap wins anyway
// (Room.ScreenShareCap).
func checkScreenShares(n int, lim Limits) error {
	serverCap := lim.screenShares()
	if n < 0 || n > serverCap {
		return invalid("max screen shares must be between 1 and %d (the server's cap), or 0 to follow the server's cap; not %d", serverCap, n)
	}
	return nil
}

// checkName refuses a room name that everyone who sees it could not be
// shown safely as it is (safetext.Check): control characters, C1, line
// breaks, tabs, bidirectional controls, invisible format characters,
// invalid UTF-8. It runs when the name is set, not in check on every
// edit: a room named before these rules can still be locked.
func checkName(name string) error {
	if err := safetext.Check(name); err != nil {
		return invalid("name holds %v, which could disguise text on other people's screens; remove it", err)
	}
	return nil
}

// New builds a room from s, checking every field against the rules.
func New(id string, hostKeyHash []byte, s Spec, lim Limits, now time.Time) (Room, error) {
	r := Room{
		ID:          id,
		Name:        strings.TrimSpace(s.Name),
		Theme:       s.Theme,
		Visibility:  s.Visibility,
		Capacity:    s.Capacity,
		State:       Open,
		StartsAt:    s.StartsAt,
		TimeZone:    s.TimeZone,
		Duration:    s.Duration,
		HostKeyHash: hostKeyHash,
		CreatedAt:   now,
		UpdatedAt:   now,
		// Checked against the server's cap below.
		MaxScreenShares: s.MaxScreenShares,
	}
	if r.Visibility == "" {
		r.Visibility = Public
	}
	if r.Capacity == 0 {
		r.Capacity = min(DefaultCapacity, lim.MaxCapacity)
	}
	if r.TimeZone == "" {
		r.TimeZone = "UTC"
	}
	if r.StartsAt.IsZero() {
		r.StartsAt = now
	}
	if err := checkTime(r.StartsAt, now); err != nil {
		return Room{}, err
	}
	if r.StartsAt.After(now) {
		r.State = Scheduled
	}
	r.StartsAt = r.StartsAt.UTC()
	if err := checkName(r.Name); err != nil {
		return Room{}, err
	}
	// Before check, so a cap above the server's is refused naming it.
	if err := checkScreenShares(r.MaxScreenShares, lim); err != nil {
		return Room{}, err
	}
	if err := r.check(lim); err != nil {
		return Room{}, err
	}
	return r, nil
}

// skew is how far in the past a start time may be and still mean "now":
// clocks of client and server differ a little.
const skew = time.Minute

func checkTime(at, now time.Time) error {
	if at.Before(now.Add(-skew)) {
		return fmt.Errorf("%w: %s is in the past", ErrBadTime, at.UTC().Format(time.RFC3339))
	}
	if at.After(now.Add(MaxScheduleAge)) {
		return fmt.Errorf("%w: %s is too far ahead; book at most a year ahead", ErrBadTime, at.UTC().Format(time.RFC3339))
	}
	return nil
}

// check validates fields that do not depend on the clock.
func (r Room) check(lim Limits) error {
	if utf8.RuneCountInString(r.Name) > MaxNameLen {
		return invalid("name is longer than %d characters", MaxNameLen)
	}
	if r.Visibility != Public && r.Visibility != Private {
		return invalid("visibility %q is neither public nor private", r.Visibility)
	}
	if r.Capacity < 1 || r.Capacity > lim.MaxCapacity {
		return invalid("max participants must be between 1 and %d (the server's cap), not %d", lim.MaxCapacity, r.Capacity)
	}
	// The absolute bound only: the server's cap is checked when the value
	// is set (checkScreenShares).
	if r.MaxScreenShares < 0 || r.MaxScreenShares > MaxScreenShares {
		return invalid("max screen shares must be between 1 and %d, or 0 to follow the server's cap; not %d", MaxScreenShares, r.MaxScreenShares)
	}
	if r.Duration != 0 && (r.Duration < MinDuration || r.Duration > MaxDuration) {
		return invalid("duration must be between %s and %s", MinDuration, MaxDuration)
	}
	if _, err := time.LoadLocation(r.TimeZone); err != nil || r.TimeZone == "Local" {
		return invalid("unknown time zone %q", r.TimeZone)
	}
	return nil
}

// Change is an edit to a room; nil fields stay as they are.
type Change struct {
	Name       *string
	Theme      *string
	StartsAt   *time.Time
	TimeZone   *string
	Duration   *time.Duration
	Capacity   *int
	Locked     *bool
	Visibility *Visibility
	// MaxScreenShares sets the room's cap on screens shared at once; 0
	// hands it back to the server's cap.
	MaxScreenShares *int
}

// Apply makes the change c to r, which must not have ended. A start time
// may move only while the room is still scheduled; moving it to now opens
// the room early.
func Apply(r *Room, c Change, lim Limits, now time.Time) error {
	if r.StateAt(now) == Ended {
		return ErrEnded
	}
	next := *r
	if c.Name != nil {
		next.Name = strings.TrimSpace(*c.Name)
		if err := checkName(next.Name); err != nil {
			return err
		}
	}
	if c.Theme != nil {
		next.Theme = *c.Theme
	}
	if c.TimeZone != nil {
		next.TimeZone = *c.TimeZone
	}
	if c.Duration != nil {
		next.Duration = *c.Duration
	}
	if c.Capacity != nil {
		next.Capacity = *c.Capacity
	}
	if c.MaxScreenShares != nil {
		if err := checkScreenShares(*c.MaxScreenShares, lim); err != nil {
			return err
		}
		next.MaxScreenShares = *c.MaxScreenShares
	}
	if c.Locked != nil {
		next.Locked = *c.Locked
	}
	if c.Visibility != nil {
		next.Visibility = *c.Visibility
	}
	if c.StartsAt != nil && !c.StartsAt.Equal(r.StartsAt) {
		if r.StateAt(now) != Scheduled {
			return fmt.Errorf("%w: the room is already open; its start time can no longer change", ErrBadTime)
		}
		if err := checkTime(*c.StartsAt, now); err != nil {
			return err
		}
		next.StartsAt = c.StartsAt.UTC()
		next.State = Scheduled
		if !next.StartsAt.After(now) {
			next.State = Open
		}
	}
	if err := next.check(lim); err != nil {
		return err
	}
	if next.Duration != 0 && !now.Before(next.EndsAt()) {
		return invalid("with that duration the room would already have ended")
	}
	*r = next
	return nil
}

// End ends r for everyone at now.
func End(r *Room, now time.Time) error {
	if r.StateAt(now) == Ended {
		return ErrEnded
	}
	r.State = Ended
	r.EndedAt = now.UTC()
	return nil
}
