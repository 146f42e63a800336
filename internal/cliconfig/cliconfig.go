// Package cliconfig is the rooms CLI's configuration file: the values a
// person would otherwise repeat in every shell (the server, the create
// token), at the top level and in named profiles, one per server.
//
// The file is TOML, $XDG_CONFIG_HOME/rooms/config.toml:
//
//	server = "https://rooms.example.org"
//
//	[profiles.work]
//	server = "https://rooms.work.example"
//	create_token = "…"
//
// A named profile's values win over the top level's; what it leaves out
// comes from the top level. The file is written with mode 0600 (it may
// hold a create token), through a temporary file renamed into place.
package cliconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/BurntSushi/toml"
)

// FileName is the file's name in the config directory.
const FileName = "config.toml"

// Keys a profile may hold.
const (
	KeyServer      = "server"
	KeyCreateToken = "create_token"
)

// Keys lists them in the order they are shown.
var Keys = []string{KeyServer, KeyCreateToken}

// Secret says whether a key's value is kept out of listings.
func Secret(key string) bool { return key == KeyCreateToken }

// Values are one profile's settings; "" is unset.
type Values struct {
	Server      string `toml:"server,omitempty"`
	CreateToken string `toml:"create_token,omitempty"`
}

func (v *Values) field(key string) (*string, error) {
	switch key {
	case KeyServer:
		return &v.Server, nil
	case KeyCreateToken:
		return &v.CreateToken, nil
	}
	return nil, fmt.Errorf("unknown key %q: the keys are %s", key, keyList())
}

// File is the whole configuration.
type File struct {
	Values
	Profiles map[string]Values `toml:"profiles,omitempty"`
}

// profileName is what a profile may be called: it is a TOML key and a
// word on a command line.
var profileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// CheckProfile refuses a name a profile cannot have.
func CheckProfile(name string) error {
	if !profileName.MatchString(name) {
		return fmt.Errorf("profile name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 64)", name)
	}
	return nil
}

// Load reads the file at path; a missing file is an empty configuration.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the config file: %w", err)
	}
	var f File
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w; fix it or remove it", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("config file %s: unknown key %q (the keys are %s, at the top level or under [profiles.NAME]); fix it or remove it", path, und[0].String(), keyList())
	}
	for name := range f.Profiles {
		if err := CheckProfile(name); err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	return &f, nil
}

// Save writes f to path with mode 0600, creating its directory (0700).
func (f *File) Save(path string) error {
	var buf bytes.Buffer
	buf.WriteString("# rooms CLI configuration: rooms config set KEY VALUE [--profile NAME].\n")
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("encode the config file: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the config directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.toml")
	if err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file: %w", err)
	}
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write the config file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the config file: %w", err)
	}
	return nil
}

// HasProfile says whether a named profile exists; "" (the top level)
// always does.
func (f *File) HasProfile(name string) bool {
	if name == "" {
		return true
	}
	_, ok := f.Profiles[name]
	return ok
}

// ProfileNames lists the named profiles, sorted.
func (f *File) ProfileNames() []string {
	var names []string
	for n := range f.Profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Get is key's value for profile ("" the top level): the profile's own,
// else the top level's. from says which: "profile", "top" or "" (unset).
func (f *File) Get(profile, key string) (value, from string, err error) {
	if profile != "" {
		p := f.Profiles[profile]
		v, err := p.field(key)
		if err != nil {
			return "", "", err
		}
		if *v != "" {
			return *v, "profile", nil
		}
	}
	top := f.Values
	v, err := top.field(key)
	if err != nil {
		return "", "", err
	}
	if *v != "" {
		return *v, "top", nil
	}
	return "", "", nil
}

// Set sets key for profile ("" the top level), creating the profile;
// value "" unsets it, and a profile left empty is removed.
func (f *File) Set(profile, key, value string) error {
	if profile == "" {
		v, err := f.Values.field(key)
		if err != nil {
			return err
		}
		*v = value
		return nil
	}
	if err := CheckProfile(profile); err != nil {
		return err
	}
	p := f.Profiles[profile]
	v, err := p.field(key)
	if err != nil {
		return err
	}
	*v = value
	if p == (Values{}) {
		delete(f.Profiles, profile)
		return nil
	}
	if f.Profiles == nil {
		f.Profiles = map[string]Values{}
	}
	f.Profiles[profile] = p
	return nil
}

// CheckKey refuses an unknown key.
func CheckKey(key string) error {
	_, err := (&Values{}).field(key)
	return err
}

func keyList() string {
	s := ""
	for i, k := range Keys {
		if i > 0 {
			s += ", "
		}
		s += k
	}
	return s
}

// ReadableByOthers says whether the file at path may be read by users
// other than its owner (its group or everyone).
func ReadableByOthers(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().Perm()&0o044 != 0
}
