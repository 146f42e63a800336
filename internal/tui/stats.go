package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/rooms-dev/rooms/internal/termgfx"
)

// StatsEnv names a file the call screen appends what it drew to, once a
// second, as JSON lines: the mode, pictures decoded and drawn and bytes
// written to the terminal so far. It is how docs/performance.md measures the terminal
// modes; nothing else reads it.
const StatsEnv = "ROOMS_GRAPHICS_STATS"

// drawStats is one line of the stats file.
type drawStats struct {
	At     time.Time `json:"at"`
	Mode   string    `json:"mode"`
	Frames uint64    `json:"frames"`
	Bytes  uint64    `json:"bytes"`
	// Decoded counts the pictures the decoders handed over (what could
	// have been drawn).
	Decoded uint64 `json:"decoded"`
}

// writeStats appends a line to path every second until ctx ends.
func writeStats(ctx context.Context, path string, mode termgfx.Mode, out *termgfx.Output, frames, decoded func() uint64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open $%s: %w", StatsEnv, err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := enc.Encode(drawStats{At: time.Now().UTC(), Mode: mode.String(), Frames: frames(), Bytes: out.Written(), Decoded: decoded()}); err != nil {
			return fmt.Errorf("write $%s: %w", StatsEnv, err)
		}
	}
}
