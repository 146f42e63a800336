package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// identity is this user's key pair, made on first use. A host's removal
// bans the key, and handles will bind to it.
func (f *Factory) identity() (ed25519.PrivateKey, error) {
	dir, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "identity.key")
	b, err := os.ReadFile(path)
	if err == nil {
		seed, derr := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("%s is damaged; move it aside and a new identity is made (rooms you were removed from will not know you)", path)
		}
		return ed25519.NewKeyFromSeed(seed), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read your identity: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("save your identity: %w", err)
	}
	// O_EXCL: two first joins at once must not make two identities.
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return f.identity()
	}
	if err != nil {
		return nil, fmt.Errorf("save your identity: %w", err)
	}
	_, err = fh.WriteString(base64.RawURLEncoding.EncodeToString(seed) + "\n")
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("save your identity: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

type profile struct {
	Name string `json:"name"`
}

// rememberedName is the display name last used, or the login name.
func (f *Factory) rememberedName() string {
	if dir, err := f.StateDir(); err == nil {
		var p profile
		if b, err := os.ReadFile(filepath.Join(dir, "profile.json")); err == nil && json.Unmarshal(b, &p) == nil && p.Name != "" {
			return p.Name
		}
	}
	if u := f.Getenv("USER"); u != "" {
		return u
	}
	return "guest"
}

// rememberName keeps the display name for next time; failing to is not
// worth failing a join over.
func (f *Factory) rememberName(name string) {
	dir, err := f.StateDir()
	if err != nil {
		return
	}
	b, _ := json.Marshal(profile{Name: name})
	_ = os.MkdirAll(dir, 0o700)
	_ = os.WriteFile(filepath.Join(dir, "profile.json"), b, 0o600)
}
