package store

import (
	"context"
	"time"
)

// Pruned counts the rows a prune deleted, by table name (rooms, members,
// bans, invites, room_webhooks, outbox, inbox).
type Pruned map[string]int

// Add adds o's counts to p.
func (p Pruned) Add(o Pruned) {
	for k, v := range o {
		p[k] += v
	}
}

// Total is how many rows went, all tables together.
func (p Pruned) Total() int {
	n := 0
	for _, v := range p {
		n += v
	}
	return n
}

// MaxPruneBatch bounds the limit of one prune call.
const MaxPruneBatch = 1000

// Retention deletes what is older than roomsd's retention (--retain), in
// bounded batches so no call holds the store long. Times are parameters:
// the caller's clock decides what "older" means. A limit is 1 to
// MaxPruneBatch.
type Retention interface {
	// PruneRooms deletes up to limit rooms that ended before `before`, or
	// whose duration ran out before it, with everything kept about them:
	// members, bans, invitees, webhooks, outbox rows and the inbox rows
	// delivered from those. Fewer than limit rooms means none are left.
	PruneRooms(ctx context.Context, before time.Time, limit int) (Pruned, error)
	// PruneOutbox deletes up to limit delivered or dead outbox rows
	// created before `before`; pending rows stay.
	PruneOutbox(ctx context.Context, before time.Time, limit int) (int, error)
	// PruneInbox deletes up to limit inbox rows delivered before `before`.
	PruneInbox(ctx context.Context, before time.Time, limit int) (int, error)
}
