// Package paths finds where rooms keeps its files.
package paths

import (
	"fmt"
	"os"
	"path/filepath"
)

// StateDir is the per-user directory for app's state: $XDG_STATE_HOME/app,
// else ~/.local/state/app, the XDG default.
func StateDir(app string) (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, app), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the state directory: %w; set XDG_STATE_HOME", err)
	}
	return filepath.Join(home, ".local", "state", app), nil
}

// ConfigDir is the per-user directory for app's configuration:
// $XDG_CONFIG_HOME/app, else ~/.config/app, the XDG default.
func ConfigDir(app string) (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, app), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the config directory: %w; set XDG_CONFIG_HOME", err)
	}
	return filepath.Join(home, ".config", app), nil
}
