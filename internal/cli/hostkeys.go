package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// hostKeys keeps the host keys of rooms this user created, one file in the
// state directory, readable by the user alone.
type hostKeys struct {
	path string
}

type hostKeyFile struct {
	Version int            `json:"version"`
	Keys    []hostKeyEntry `json:"keys"`
}

type hostKeyEntry struct {
	Server    string    `json:"server"`
	Room      string    `json:"room"`
	HostKey   string    `json:"host_key"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func openHostKeys(stateDir string) *hostKeys {
	return &hostKeys{path: filepath.Join(stateDir, "hostkeys.json")}
}

// Path is where the keys live, for telling the user.
func (h *hostKeys) Path() string { return h.path }

// Get returns the host key for a room, or "". Room ids are 128 random
// bits, so the id alone finds it: the server may be named differently
// (by its public URL in a link, by 127.0.0.1 on the host).
func (h *hostKeys) Get(roomID string) (string, error) {
	f, err := h.read()
	if err != nil {
		return "", err
	}
	for _, e := range f.Keys {
		if e.Room == roomID {
			return e.HostKey, nil
		}
	}
	return "", nil
}

// List returns every key held for a server, newest first.
func (h *hostKeys) List(server string) ([]hostKeyEntry, error) {
	f, err := h.read()
	if err != nil {
		return nil, err
	}
	var out []hostKeyEntry
	for _, e := range f.Keys {
		if server == "" || e.Server == server {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// Add saves a key. The file is rewritten under an exclusive lock and
// renamed into place, so two `rooms create` at once both keep their keys
// and a crash never leaves half a file.
func (h *hostKeys) Add(e hostKeyEntry) error {
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("save the host key: %w", err)
	}
	lock, err := os.OpenFile(h.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("save the host key: %w", err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("save the host key: lock %s: %w", lock.Name(), err)
	}
	f, err := h.read()
	if err != nil {
		return err
	}
	f.Version = 1
	f.Keys = append(f.Keys, e)
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("save the host key: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".hostkeys-*.json")
	if err != nil {
		return fmt.Errorf("save the host key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save the host key: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save the host key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save the host key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save the host key: %w", err)
	}
	if err := os.Rename(tmp.Name(), h.path); err != nil {
		return fmt.Errorf("save the host key: %w", err)
	}
	return nil
}

func (h *hostKeys) read() (hostKeyFile, error) {
	var f hostKeyFile
	data, err := os.ReadFile(h.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read host keys: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("read host keys: %s is damaged (%v); fix or move it aside", h.path, err)
	}
	return f, nil
}
