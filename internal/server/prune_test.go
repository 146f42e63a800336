package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// TestServerPrunesAtStart: a roomsd with --retain forgets, as it starts,
// a room that ended longer ago, keeps one that ended since, and counts
// what it deleted in /metrics.
func TestServerPrunesAtStart(t *testing.T) {
	ctx := context.Background()
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort, cfg.Retain = "127.0.0.1:0", t.TempDir(), 0, 24*time.Hour
	st, err := store.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ended := func(at time.Time) string {
		r, err := room.New(room.NewID(), nil, room.Spec{Theme: "forest"}, room.Limits{MaxCapacity: 50}, at.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := room.End(&r, at); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateRoom(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	old, recent := ended(now.Add(-48*time.Hour)), ended(now.Add(-time.Hour))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	c, stop := testServerConfig(t, cfg, slog.New(slog.DiscardHandler))
	defer stop()
	// The metric is counted after the batch commits: once it shows the
	// room, the room is gone.
	metrics := func() string {
		res, err := http.Get(c.Server() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return string(body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(metrics(), `rooms_pruned_rows_total{table="rooms"} 1`) {
		if time.Now().After(deadline) {
			t.Fatalf("no pruned room counted 30 s after start:\n%s", grepLines(metrics(), "rooms_pruned"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := c.GetRoom(ctx, old); !isNotFound(err) {
		t.Fatalf("the room that ended 2 days ago: %v, want not found", err)
	}
	if _, err := c.GetRoom(ctx, recent); err != nil {
		t.Fatalf("the room that ended an hour ago: %v", err)
	}
}

func isNotFound(err error) bool {
	p, ok := err.(*api.Problem)
	return ok && p.Status == http.StatusNotFound
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
