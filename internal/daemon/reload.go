package daemon

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/rooms-dev/rooms/internal/server"
)

// reloader re-reads roomsd's settings on SIGHUP and applies what can
// change while calls go on (server.Reloadable); it names the changed
// settings that need a restart.
type reloader struct {
	srv   *server.Server
	log   *slog.Logger
	level *slog.LevelVar
	env   func(string) (string, bool)

	mu sync.Mutex
	// started is what the server started with, current what is in force.
	started, current *loaded
}

// onHangup reloads on each signal from hups until ctx ends; the returned
// group is done when it has stopped.
func (r *reloader) onHangup(ctx context.Context, hups <-chan os.Signal) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hups:
				if err := r.reload(); err != nil {
					r.log.Error("configuration not reloaded; the running one stays", "err", err)
				}
			}
		}
	}()
	return &wg
}

// reload reads the settings again (the same command line, the variables
// now, the file now), checks them, and applies the live ones. On an error
// nothing changes.
func (r *reloader) reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := load(r.current.cmdline, r.env)
	if err != nil {
		return err
	}
	level := new(slog.LevelVar)
	if _, err := newLogger(next.cfg, io.Discard, level); err != nil {
		return err
	}
	if err := r.srv.Reload(next.cfg); err != nil {
		return err
	}
	r.level.Set(level.Level())
	var applied []string
	for _, k := range changed(r.current, next) {
		if server.Reloadable[k] {
			applied = append(applied, k)
		}
	}
	r.log.Info("configuration reloaded", "file", next.path, "changed", applied)
	for _, k := range changed(r.started, next) {
		if !server.Reloadable[k] {
			r.log.Warn("setting changed; it needs a restart, the running value stays", "key", k, "from", sourceOf(next, k))
		}
	}
	r.current = next
	return nil
}

// sourceOf says where a setting's value came from.
func sourceOf(ld *loaded, key string) string {
	if from, ok := ld.from[key]; ok {
		return from
	}
	return "default"
}

// parseLevel reads --log-level.
func parseLevel(s string) (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: use debug, info, warn or error", s)
	}
	return level, nil
}
