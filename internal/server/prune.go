package server

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rooms-dev/rooms/internal/prune"
	"github.com/rooms-dev/rooms/internal/store"
)

// prunedTables are the tables the pruner deletes from, so the metric
// shows each from the start.
var prunedTables = []string{"rooms", "members", "bans", "invites", "room_webhooks", "outbox", "inbox"}

// newPruner makes the pruner that keeps st to retain, counting the rows
// it deletes in reg as rooms_pruned_rows_total{table}.
func newPruner(retain time.Duration, st store.Store, log *slog.Logger, reg *prometheus.Registry) (*prune.Pruner, error) {
	pruned := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "rooms_pruned_rows_total",
		Help: "Rows deleted because they were older than --retain, by table."}, []string{"table"})
	for _, t := range prunedTables {
		pruned.WithLabelValues(t)
	}
	reg.MustRegister(pruned)
	return prune.New(prune.Config{Store: st, Retain: retain, Log: log, Counted: func(n store.Pruned) {
		for table, rows := range n {
			pruned.WithLabelValues(table).Add(float64(rows))
		}
	}})
}
