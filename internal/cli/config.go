package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/cliconfig"
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/client"
)

// annotNewProfile marks the commands that may name a profile that does
// not exist yet.
const annotNewProfile = "rooms.newProfile"

func newCmdConfig(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Set the server and create token once, in profiles",
		Long: `Keep the values you would otherwise export in every shell in a config file,
$XDG_CONFIG_HOME/rooms/config.toml (~/.config/rooms/config.toml), written with mode
0600 since it may hold a create token.

Keys:
  server        the roomsd to talk to (as --server / ROOMS_SERVER)
  create_token  the token a roomsd beyond loopback needs to create rooms
                (as --create-token / ROOMS_CREATE_TOKEN)

A profile is a named set of values, one per server: pick it with --profile NAME
or ROOMS_PROFILE. What a profile leaves unset comes from the file's top level.
What is in force: a flag, else the environment variable, else the profile, else
the top level, else the default (http://127.0.0.1:7880).

A profile's server is only the default server: a room's link still names its own
server, and host keys still go only to the server that made them.`,
		Example: `  rooms config set server https://rooms.example.org
  rooms list                                   # talks to rooms.example.org

  rooms config set server https://rooms.work.example --profile work
  rooms config set create_token "$TOKEN" --profile work
  rooms list --profile work
  ROOMS_PROFILE=work rooms create --at 15:00

  rooms config list                            # what is in force, and from where`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return &flagError{fmt.Errorf("unknown command %q for rooms config: use set, get, unset or list", args[0])}
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newCmdConfigSet(f), newCmdConfigGet(f), newCmdConfigUnset(f), newCmdConfigList(f))
	return cmd
}

func completeKeys(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cliconfig.Keys, cobra.ShellCompDirectiveNoFileComp
}

func newCmdConfigSet(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "set KEY VALUE",
		Short:             "Set a key, at the top level or in --profile NAME",
		Example:           "  rooms config set server https://rooms.example.org\n  rooms config set server https://rooms.work.example --profile work",
		Annotations:       map[string]string{annotNewProfile: "yes"},
		ValidArgsFunction: completeKeys,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &flagError{fmt.Errorf("rooms config set needs KEY VALUE, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			key, value := args[0], args[1]
			if err := cliconfig.CheckKey(key); err != nil {
				return usageErr("%w", err)
			}
			switch {
			case value == "":
				return usageErr("%s: the value is empty; to remove it run: rooms config unset %s", key, key)
			case key == cliconfig.KeyServer:
				u, err := client.ParseServer(value)
				if err != nil {
					return usageErr("server: %w", err)
				}
				value = u.String()
			}
			return f.editConfig(func(cfg *cliconfig.File) error {
				return cfg.Set(f.settings.profile, key, value)
			}, fmt.Sprintf("%s set", key))
		},
	}
}

func newCmdConfigUnset(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "unset KEY",
		Short:             "Remove a key, at the top level or from --profile NAME",
		ValidArgsFunction: completeKeys,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &flagError{fmt.Errorf("rooms config unset needs one KEY, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cliconfig.CheckKey(args[0]); err != nil {
				return usageErr("%w", err)
			}
			return f.editConfig(func(cfg *cliconfig.File) error {
				return cfg.Set(f.settings.profile, args[0], "")
			}, fmt.Sprintf("%s unset", args[0]))
		},
	}
}

// editConfig changes the config file read at the start of this run and
// writes it back.
func (f *Factory) editConfig(change func(*cliconfig.File) error, done string) error {
	s := f.settings
	if s.path == "" {
		return fmt.Errorf("no config directory here: set XDG_CONFIG_HOME or HOME")
	}
	if err := change(s.cfg); err != nil {
		return usageErr("%w", err)
	}
	if err := s.cfg.Save(s.path); err != nil {
		return err
	}
	where := s.path
	if s.profile != "" {
		where = fmt.Sprintf("profile %q in %s", s.profile, s.path)
	}
	if f.json {
		return f.printJSON(map[string]string{"path": s.path, "profile": s.profile})
	}
	_, err := fmt.Fprintf(f.IO.ErrOut, "%s in %s\n", done, where)
	return err
}

func newCmdConfigGet(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "get [KEY]",
		Short: "Print a key's value in force (all of them without KEY)",
		Long: `Print the value in force for KEY, from a flag, the environment, the profile, the
file's top level or the default (rooms config list says which). Without KEY, the
same as rooms config list.`,
		Example:           "  rooms config get server\n  rooms config get server --profile work",
		ValidArgsFunction: completeKeys,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return &flagError{fmt.Errorf("rooms config get takes at most one KEY, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return f.configList()
			}
			if err := cliconfig.CheckKey(args[0]); err != nil {
				return usageErr("%w", err)
			}
			v := f.settings.inForce()[args[0]]
			if f.json {
				return f.printJSON(v)
			}
			if v.Value == "" {
				return nil
			}
			_, err := fmt.Fprintln(f.IO.Out, safetext.Line(v.Value))
			return err
		},
	}
}

func newCmdConfigList(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the values in force and where each comes from",
		Long: `List every key's value in force and where it comes from: a flag, an environment
variable, a profile, the file's top level, or the default. The create token is
shown as set or not; rooms config get create_token prints it.`,
		Example: "  rooms config list\n  rooms config list --profile work --json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return f.configList() },
	}
}

// configValue is one key's value in force.
type configValue struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

func (s *settings) inForce() map[string]configValue {
	return map[string]configValue{
		cliconfig.KeyServer:      {s.server, s.serverFrom},
		cliconfig.KeyCreateToken: {s.token, s.tokenFrom},
	}
}

func (f *Factory) configList() error {
	s := f.settings
	values := s.inForce()
	for k, v := range values {
		if cliconfig.Secret(k) && v.Value != "" {
			values[k] = configValue{"(set)", v.Source}
		}
	}
	profiles := s.cfg.ProfileNames()
	if profiles == nil {
		profiles = []string{}
	}
	if f.json {
		return f.printJSON(map[string]any{"path": s.path, "profile": s.profile, "profiles": profiles, "values": values})
	}
	tb := &table{}
	for _, k := range cliconfig.Keys {
		v := values[k]
		val, src := safetext.Line(v.Value), safetext.Line(v.Source)
		if val == "" {
			val, src = "(unset)", ""
		}
		tb.row(k, val, f.IO.Dim(src))
	}
	if err := tb.write(f.IO.Out, ""); err != nil {
		return err
	}
	if len(profiles) > 0 {
		using := "none (the top level)"
		if s.profile != "" {
			using = s.profile
		}
		fmt.Fprintf(f.IO.Out, "\nProfiles in %s: %s; in use: %s\n", s.path, safetext.Line(strings.Join(profiles, ", ")), safetext.Line(using))
	}
	return nil
}
