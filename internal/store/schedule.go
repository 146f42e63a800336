package store

import (
	"context"
	"errors"
	"time"
)

// ErrHandleTaken means the handle belongs to another key.
var ErrHandleTaken = errors.New("handle is taken")

// Invitee is someone invited to a room: a handle on this server or an
// email address.
type Invitee struct {
	Kind    string // "handle" or "email"
	Address string
}

// Outbox delivery states.
const (
	OutboxPending   = "pending"
	OutboxDelivered = "delivered"
	OutboxDead      = "dead"
)

// OutboxItem is one notification to deliver on one channel to one
// recipient. (EventID, Channel, Recipient) is unique: enqueueing an event
// twice delivers it once.
type OutboxItem struct {
	ID            int64
	EventID       string
	RoomID        string
	Channel       string // inbox, webhook, email
	Recipient     string
	Type          string
	Payload       []byte // JSON
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time
}

// Recipients are who hears of a room's events besides the server's own
// webhooks: its invitees and its webhooks.
type Recipients struct {
	Invites  []Invitee
	Webhooks []RoomWebhook
}

// InboxItem is a notification delivered to a handle's inbox.
type InboxItem struct {
	ID        int64
	Handle    string
	Payload   []byte
	CreatedAt time.Time
}

// RoomWebhook is a webhook a room's host set.
type RoomWebhook struct {
	URL    string
	Secret []byte
}

// Scheduling is what booked rooms and their notifications need from the
// store.
type Scheduling interface {
	// ClaimHandle binds handle to publicKey, first come; the same key may
	// claim again. ErrHandleTaken if another key holds it. A key holds at
	// most one handle: claiming a new one releases the old.
	ClaimHandle(ctx context.Context, handle, publicKey string) error
	// HandleOf is the handle bound to publicKey, or "".
	HandleOf(ctx context.Context, publicKey string) (string, error)
	// HandleExists says whether a handle is claimed.
	HandleExists(ctx context.Context, handle string) (bool, error)
	// ReleaseHandle frees the handle publicKey holds, if any.
	ReleaseHandle(ctx context.Context, publicKey string) error

	// AddInvites records invitees of a room (duplicates are ignored).
	AddInvites(ctx context.Context, roomID string, invitees []Invitee) error
	// Invites lists a room's invitees.
	Invites(ctx context.Context, roomID string) ([]Invitee, error)
	// AddRoomWebhook records a webhook for a room.
	AddRoomWebhook(ctx context.Context, roomID string, w RoomWebhook) error
	// RoomWebhooks lists a room's webhooks.
	RoomWebhooks(ctx context.Context, roomID string) ([]RoomWebhook, error)

	// Enqueue adds notifications, skipping any already enqueued; it says
	// how many were new.
	Enqueue(ctx context.Context, items []OutboxItem) (int, error)
	// Claim leases up to limit due, pending items to owner until
	// now+lease. Items leased by another owner whose lease has not run out
	// are not returned.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error)
	// Delivered marks an item delivered, if owner still holds its lease;
	// an inbox item is appended to the handle's inbox in the same
	// transaction, so it is in the inbox exactly once.
	Delivered(ctx context.Context, id int64, owner string, now time.Time) error
	// Failed records a failed attempt: retried at next, or dead.
	Failed(ctx context.Context, id int64, owner string, next time.Time, dead bool, reason string) error
	// Redeliver makes the named webhook deliveries of a room due again at
	// now, as new: pending, no attempts yet. A delivery of another room,
	// of another channel, or leased to a deliverer at now is left alone.
	// It says how many were reset.
	Redeliver(ctx context.Context, roomID string, ids []int64, now time.Time) (int, error)
	// Deliveries lists a room's notifications, newest first.
	Deliveries(ctx context.Context, roomID string, limit int) ([]OutboxItem, error)
	// NextDue is when the earliest pending item is due, or the zero time.
	NextDue(ctx context.Context) (time.Time, error)

	// Inbox lists a handle's notifications after an id, oldest first.
	Inbox(ctx context.Context, handle string, afterID int64, limit int) ([]InboxItem, error)
}
