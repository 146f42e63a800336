package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rooms-dev/rooms/pkg/api"
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
	// Server is the server as it was named when the room was created.
	Server string `json:"server"`
	// Origins are the servers (scheme://host[:port], canonical) the key
	// may ever be sent to: the one it was created on, and the origin of
	// the link that server returned (its public URL). A file written
	// before keys were bound has none: Server's origin stands for them.
	Origins   []string  `json:"origins,omitempty"`
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

// newHostKeyEntry binds a new room's key to the server it was created
// on, as named (server) and as the server names itself (the link it
// returned). Trusting the link's origin gives nothing away: the key is
// that server's own secret, which it could hand anyone anyway.
func newHostKeyEntry(server, link string, e hostKeyEntry) hostKeyEntry {
	e.Server = server
	e.Origins = nil
	for _, u := range []string{server, link} {
		if o, err := api.CanonicalOrigin(u); err == nil && !slices.Contains(e.Origins, o) {
			e.Origins = append(e.Origins, o)
		}
	}
	return e
}

// origins are where this key may be sent.
func (e hostKeyEntry) origins() []string {
	if len(e.Origins) > 0 {
		return e.Origins
	}
	if o, err := api.CanonicalOrigin(e.Server); err == nil {
		return []string{o}
	}
	return nil
}

// boundTo says whether the key may be sent to the server at origin.
func (e hostKeyEntry) boundTo(origin string) bool { return slices.Contains(e.origins(), origin) }

// Get returns the host key for a room on the server at origin (as
// client.Client.Origin writes it), or "". A key is never returned for
// another server, even for the same room id: a participant knows the id
// and could send the host a link to their own server under it.
// elsewhere names the servers a key for this id is bound to when none
// is bound to origin, for saying so.
func (h *hostKeys) Get(origin, roomID string) (key string, elsewhere []string, err error) {
	f, err := h.read()
	if err != nil {
		return "", nil, err
	}
	for _, e := range f.Keys {
		if e.Room != roomID {
			continue
		}
		if e.boundTo(origin) {
			return e.HostKey, nil, nil
		}
		elsewhere = append(elsewhere, e.origins()...)
	}
	return "", elsewhere, nil
}

// List returns every key held for the server at origin ("" for every
// server), newest first.
func (h *hostKeys) List(origin string) ([]hostKeyEntry, error) {
	f, err := h.read()
	if err != nil {
		return nil, err
	}
	var out []hostKeyEntry
	for _, e := range f.Keys {
		if origin == "" || e.boundTo(origin) {
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
	f.Version = 2
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
