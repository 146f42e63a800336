package store

import "context"

// Shared is what a store several roomsd share offers them for the work
// that is not one node's: a lock that lets one node at a time run
// something (the scheduler), and a wake-up when any node appends to an
// inbox, so streams open on every node hear of it. Postgres has it; SQLite
// is one process's and does not.
type Shared interface {
	// Lead waits until this process holds the lock named name, which at
	// most one process sharing the store holds at a time, or until ctx
	// ends (its error). The lease lasts until Release, or until it is
	// lost: then its Context ends. When the holder dies, its lock is free
	// within seconds.
	Lead(ctx context.Context, name string) (Lease, error)
	// ListenInbox hears inbox appends made by any process sharing the
	// store: once it listens it calls listening (notices sent before
	// were not heard: a caller re-reads), then wake with the handle of
	// each append, until ctx ends (nil) or its connection fails (the
	// error; call it again).
	ListenInbox(ctx context.Context, listening func(), wake func(handle string)) error
}

// Lease is a lock taken with Shared.Lead.
type Lease interface {
	// Context ends when the lease is lost or released, or when the
	// context given to Lead ends.
	Context() context.Context
	// Release gives the lock up; safe to call more than once.
	Release()
}
