package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/schedule"
	"github.com/rooms-dev/rooms/internal/store"
)

// timePlane runs what happens at its time rather than on a request: the
// scheduler and, when several roomsd share the store, the listener that
// wakes this node's inbox streams for other nodes' deliveries. On a
// shared store the scheduler runs on one node at a time: the holder of
// the "scheduler" lock (store.Shared.Lead); the others wait to take over.
// On SQLite it simply runs.
type timePlane struct {
	st        store.Store
	scheduler *schedule.Scheduler
	broker    *notify.Broker
	log       *slog.Logger
	// leading says whether this node runs the scheduler now.
	leading atomic.Bool
}

// schedulerLock names the lock of the scheduler.
const schedulerLock = "scheduler"

// timePlaneRetry is the wait before trying a failed listener again.
const timePlaneRetry = time.Second

func newTimePlane(st store.Store, sch *schedule.Scheduler, broker *notify.Broker, log *slog.Logger, reg prometheus.Registerer) *timePlane {
	tp := &timePlane{st: st, scheduler: sch, broker: broker, log: log}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rooms_scheduler_leader",
		Help: "1 while this roomsd runs the scheduler (one node of those sharing a database does), else 0.",
	}, func() float64 {
		if tp.leading.Load() {
			return 1
		}
		return 0
	}))
	return tp
}

// Run runs until ctx ends and its goroutines have stopped.
func (tp *timePlane) Run(ctx context.Context) {
	shared, ok := tp.st.(store.Shared)
	if !ok {
		tp.leading.Store(true)
		tp.scheduler.Run(ctx)
		tp.leading.Store(false)
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tp.lead(ctx, shared) }()
	go func() { defer wg.Done(); tp.listen(ctx, shared) }()
	wg.Wait()
}

// lead runs the scheduler whenever this node holds its lock.
func (tp *timePlane) lead(ctx context.Context, shared store.Shared) {
	for ctx.Err() == nil {
		lease, err := shared.Lead(ctx, schedulerLock)
		if err != nil {
			return // only ctx's end stops Lead
		}
		tp.log.Info("this node runs the scheduler")
		tp.leading.Store(true)
		tp.scheduler.Run(lease.Context())
		tp.leading.Store(false)
		lease.Release()
		if ctx.Err() == nil {
			tp.log.Warn("this node lost the scheduler lock (its database session ended); waiting to take it again")
		}
	}
}

// listen wakes this node's inbox streams for every inbox delivery made
// through any node, and all of them after each (re)connection, since
// what came meanwhile was not heard.
func (tp *timePlane) listen(ctx context.Context, shared store.Shared) {
	for {
		err := shared.ListenInbox(ctx, tp.broker.PublishAll, tp.broker.Publish)
		if ctx.Err() != nil {
			return
		}
		tp.log.Warn("inbox listener; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(timePlaneRetry):
		}
	}
}
