// Package store keeps rooms durably. Store is the interface the server uses;
// sqlite.go is the embedded default, postgres.go the PostgreSQL store
// (--db postgres://); both pass the same conformance suite (storetest).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
)

// Errors a Store returns; callers test them with errors.Is.
var (
	// ErrNotFound means no room has that id.
	ErrNotFound = errors.New("room not found")
	// ErrExists means a room with that id already exists.
	ErrExists = errors.New("room already exists")
	// ErrLocked means another process holds the store (a second roomsd on
	// the same data directory).
	ErrLocked = errors.New("store is in use by another process")
	// ErrReplay means a signed request's nonce was seen before.
	ErrReplay = errors.New("this signed request was seen before")
)

// ListFilter selects rooms for List.
type ListFilter struct {
	// Visibility, when set, keeps only rooms with it.
	Visibility room.Visibility
	// States, when not empty, keeps only rooms whose stored state is one of them.
	States []room.State
	// IDs, when not empty, keeps only these rooms.
	IDs []string
	// LiveAt, when set, drops rooms whose duration ran out by then.
	LiveAt time.Time
	// StartsBefore, when set, keeps rooms starting before then.
	StartsBefore time.Time
	// Limit bounds the result; 0 means the store's default (100). At most 1000.
	Limit int
}

// Store keeps rooms. Every method is safe for concurrent use.
type Store interface {
	Scheduling
	Retention
	// CreateRoom stores a new room; ErrExists if its id is taken. Zero
	// CreatedAt and UpdatedAt are set from the store's clock.
	CreateRoom(ctx context.Context, r room.Room) error
	// GetRoom returns the room with this id, or ErrNotFound.
	GetRoom(ctx context.Context, id string) (room.Room, error)
	// UpdateRoom reads the room, calls fn on it and stores what fn left,
	// all in one transaction. If fn returns an error nothing is stored and
	// that error is returned as is. UpdatedAt is set by the store. fn must
	// not change the id nor call the store.
	UpdateRoom(ctx context.Context, id string, fn func(*room.Room) error) (room.Room, error)
	// CreateRoomWith stores a new room together with its recipients
	// (invitees, webhooks) and the outbox rows of its creation, in one
	// transaction: all of it, or on any error (ErrExists included) none.
	CreateRoomWith(ctx context.Context, r room.Room, rc Recipients, outbox []OutboxItem) error
	// UpdateRoomWith is UpdateRoom whose fn is also handed the room's
	// recipients as stored and returns outbox rows: the change and the
	// rows (duplicates skipped, as Enqueue) commit together or not at all.
	UpdateRoomWith(ctx context.Context, id string, fn func(r *room.Room, rc Recipients) ([]OutboxItem, error)) (room.Room, error)
	// ListRooms returns rooms matching f, ordered by StartsAt then ID.
	ListRooms(ctx context.Context, f ListFilter) ([]room.Room, error)
	// CountRooms returns how many rooms are stored in each stored state.
	CountRooms(ctx context.Context) (map[room.State]int, error)
	// Ban keeps a client's public key out of a room for good; banning
	// twice is fine. ErrNotFound if the room does not exist.
	Ban(ctx context.Context, roomID, publicKey, name string) error
	// IsBanned says whether a public key is banned from a room.
	IsBanned(ctx context.Context, roomID, publicKey string) (bool, error)
	// AddMember records that a key has been in a room's call; adding twice
	// is fine.
	AddMember(ctx context.Context, roomID, publicKey string) error
	// IsMember says whether a key has been in a room's call.
	IsMember(ctx context.Context, roomID, publicKey string) (bool, error)
	// UseNonce records that a key used a request nonce, to be remembered
	// until expires; ErrReplay if the key used it before. Expired nonces
	// are forgotten as new ones come.
	UseNonce(ctx context.Context, publicKey, nonce string, expires time.Time) error
	// Ping checks that the store can answer.
	Ping(ctx context.Context) error
	// Close releases the store. It is safe to call more than once.
	Close() error
}

// Clock is how the store timestamps rows; tests pass their own in Options.
type Clock func() time.Time
