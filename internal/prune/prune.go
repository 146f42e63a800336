// Package prune forgets what roomsd no longer needs once the retention
// (roomsd --retain) has passed: rooms that ended or whose time ran out,
// with everything kept about them, delivered and dead notifications, and
// inbox rows. It deletes in bounded batches, each its own transaction, so
// the store's other writers never wait long.
package prune

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
)

// Defaults.
const (
	// DefaultRetain is how long roomsd keeps what is over by default.
	DefaultRetain = 30 * 24 * time.Hour
	// DefaultEvery is how often the pruner runs after its first run.
	DefaultEvery = time.Hour
	// DefaultBatch is how many rooms, or rows, one transaction deletes.
	DefaultBatch = 200
)

// Config is what a Pruner needs.
type Config struct {
	Store store.Retention
	// Retain is how long after it is over something is kept; it must be
	// more than 0 (0, "keep forever", means no pruner at all).
	Retain time.Duration
	Log    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Every is how often Run prunes; 0 means DefaultEvery.
	Every time.Duration
	// Batch bounds each transaction; 0 means DefaultBatch, and it is at
	// most store.MaxPruneBatch.
	Batch int
	// Counted is told the rows each batch deleted, by table (a metric);
	// nil is fine.
	Counted func(store.Pruned)
}

// Pruner deletes what is older than the retention.
type Pruner struct{ cfg Config }

// New makes a pruner.
func New(cfg Config) (*Pruner, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("pruner: no store")
	}
	if cfg.Retain <= 0 {
		return nil, fmt.Errorf("pruner: retention %v, want more than 0", cfg.Retain)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Every <= 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	cfg.Batch = min(cfg.Batch, store.MaxPruneBatch)
	if cfg.Counted == nil {
		cfg.Counted = func(store.Pruned) {}
	}
	return &Pruner{cfg: cfg}, nil
}

// Run prunes at once, then every cfg.Every, until ctx ends.
func (p *Pruner) Run(ctx context.Context) {
	tick := time.NewTicker(p.cfg.Every)
	defer tick.Stop()
	for {
		pruned, err := p.Once(ctx, p.cfg.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			p.cfg.Log.Warn("prune", "err", err)
		case pruned.Total() > 0:
			p.cfg.Log.Info("pruned", "retain", p.cfg.Retain, "rooms", pruned["rooms"], "rows", pruned.Total())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Once deletes, batch after batch, everything over before now minus the
// retention, and says how many rows went from each table.
func (p *Pruner) Once(ctx context.Context, now time.Time) (store.Pruned, error) {
	before := now.Add(-p.cfg.Retain)
	total := store.Pruned{}
	for {
		got, err := p.cfg.Store.PruneRooms(ctx, before, p.cfg.Batch)
		if err != nil {
			return total, err
		}
		p.count(total, got)
		if got["rooms"] < p.cfg.Batch {
			break
		}
	}
	for _, step := range []struct {
		table string
		fn    func(context.Context, time.Time, int) (int, error)
	}{
		{"outbox", p.cfg.Store.PruneOutbox},
		{"inbox", p.cfg.Store.PruneInbox},
	} {
		for {
			n, err := step.fn(ctx, before, p.cfg.Batch)
			if err != nil {
				return total, err
			}
			p.count(total, store.Pruned{step.table: n})
			if n < p.cfg.Batch {
				break
			}
		}
	}
	return total, nil
}

func (p *Pruner) count(total, batch store.Pruned) {
	if batch.Total() == 0 {
		return
	}
	total.Add(batch)
	p.cfg.Counted(batch)
}
