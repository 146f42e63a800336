package cli

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rooms-dev/rooms/internal/cliconfig"
	"github.com/rooms-dev/rooms/internal/safetext"
)

// settings are the values in force for this run and where each came
// from: flag > environment > profile (config file) > default.
type settings struct {
	path    string // the config file, "" when there is none to read
	profile string // the named profile, "" for the file's top level
	cfg     *cliconfig.File

	server, serverFrom string
	serverSet          bool // by --server or ROOMS_SERVER, not by config
	token, tokenFrom   string
	tokenFromFile      bool
}

// configPath is the config file's path, or "" when this Factory has no
// config directory (tests that do not ask for one).
func (f *Factory) configPath() (string, error) {
	if f.ConfigDir == nil {
		return "", nil
	}
	dir, err := f.ConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, cliconfig.FileName), nil
}

// profileName is --profile, else ROOMS_PROFILE, else "" (the top level).
func (f *Factory) profileName(flags *pflag.FlagSet) (name, from string) {
	if fl := flags.Lookup("profile"); fl != nil && fl.Changed {
		return fl.Value.String(), "--profile"
	}
	if v := f.Getenv("ROOMS_PROFILE"); v != "" {
		return v, "ROOMS_PROFILE"
	}
	return "", ""
}

// settle reads the config file and works out the settings; newProfile
// lets a profile that does not exist yet through (rooms config set).
func (f *Factory) settle(flags *pflag.FlagSet, newProfile bool) (*settings, error) {
	s := &settings{}
	var err error
	if s.path, err = f.configPath(); err != nil {
		return nil, err
	}
	s.cfg = &cliconfig.File{}
	if s.path != "" {
		if s.cfg, err = cliconfig.Load(s.path); err != nil {
			return nil, err
		}
	}
	profile, from := f.profileName(flags)
	if profile != "" {
		if err := cliconfig.CheckProfile(profile); err != nil {
			return nil, usageErr("%s: %w", from, err)
		}
		if !newProfile && !s.cfg.HasProfile(profile) {
			return nil, usageErr("%s: no profile %q in %s; make it with: rooms config set server URL --profile %s", from, profile, f.pathOrNone(s.path), profile)
		}
	}
	s.profile = profile

	fromFile := func(key string) (string, string) {
		v, where, _ := s.cfg.Get(profile, key)
		switch where {
		case "profile":
			return v, fmt.Sprintf("profile %q in %s", profile, s.path)
		case "top":
			return v, s.path
		}
		return "", ""
	}
	switch fl := flags.Lookup("server"); {
	case fl != nil && fl.Changed:
		s.server, s.serverFrom, s.serverSet = fl.Value.String(), "--server", true
	case f.Getenv("ROOMS_SERVER") != "":
		s.server, s.serverFrom, s.serverSet = f.Getenv("ROOMS_SERVER"), "ROOMS_SERVER", true
	default:
		s.server, s.serverFrom = fromFile(cliconfig.KeyServer)
		if s.server == "" {
			s.server, s.serverFrom = DefaultServer, "the default"
		}
	}
	switch fl := flags.Lookup("create-token"); {
	case fl != nil && fl.Changed && fl.Value.String() != "":
		s.token, s.tokenFrom = fl.Value.String(), "--create-token"
	case f.Getenv("ROOMS_CREATE_TOKEN") != "":
		s.token, s.tokenFrom = f.Getenv("ROOMS_CREATE_TOKEN"), "ROOMS_CREATE_TOKEN"
	default:
		s.token, s.tokenFrom = fromFile(cliconfig.KeyCreateToken)
		s.tokenFromFile = s.token != ""
	}
	return s, nil
}

func (f *Factory) pathOrNone(path string) string {
	if path == "" {
		return "the config file (none here)"
	}
	return path
}

// describeServerFlag makes --server's help say the value in force and
// where it came from, rather than the built-in default.
func (f *Factory) describeServerFlag(root, cmd *cobra.Command) {
	fl := root.PersistentFlags().Lookup("server")
	if fl == nil {
		return
	}
	s, err := f.settle(cmd.Flags(), false)
	if err != nil {
		fl.Usage = fmt.Sprintf("roomsd to talk to (env ROOMS_SERVER; the config is unreadable: %s)", safetext.Line(err.Error()))
		return
	}
	fl.DefValue = ""
	fl.Usage = fmt.Sprintf("roomsd to talk to; now %s, from %s (env ROOMS_SERVER; rooms config set server URL)", safetext.Line(s.server), safetext.Line(s.serverFrom))
}
