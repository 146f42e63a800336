// Package cli is the rooms command line: one file per command, each a
// constructor returning a *cobra.Command over a shared Factory.
package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/cliconfig"
	"github.com/rooms-dev/rooms/internal/colorenv"
	"github.com/rooms-dev/rooms/internal/paths"
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/version"
)

// DefaultServer is the roomsd the CLI talks to unless told otherwise.
const DefaultServer = "http://127.0.0.1:7880"

// Factory holds what every command needs; tests fill it with their own.
type Factory struct {
	IO       *IOStreams
	Now      func() time.Time
	Getenv   func(string) string
	StateDir func() (string, error)
	// ConfigDir is where config.toml lives; nil reads no config file.
	ConfigDir func() (string, error)

	// Global flags.
	server      string
	serverSet   bool
	json        bool
	createToken string
	color       string
	colorMode   colorenv.Mode
	profile     string
	jq          string
	template    string
	// filter is --jq or --template, or nil.
	filter *jsonFilter
	// settings are the values in force, once the command line is read.
	settings *settings
	// ran is set once a command's own code starts: errors before that are
	// cobra's, about the command line.
	ran bool
}

// NewFactory returns the factory for a real process.
func NewFactory() *Factory {
	return &Factory{
		IO:        System(),
		Now:       time.Now,
		Getenv:    os.Getenv,
		StateDir:  func() (string, error) { return paths.StateDir("rooms") },
		ConfigDir: func() (string, error) { return paths.ConfigDir("rooms") },
	}
}

// Main runs the rooms CLI with args and returns the exit code.
func Main(f *Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	code := ExitCode(err)
	var flagErr *flagError
	if errors.As(err, &flagErr) || !f.ran {
		// Cobra refused the command line before any command ran.
		code = ExitUsage
		flagErr = &flagError{err}
	}
	if f.json || slices.Contains(args, "--json") {
		b, _ := json.Marshal(map[string]any{
			"error": map[string]any{"code": errorCode(err, code), "message": err.Error(), "exit_code": code},
		})
		fmt.Fprintf(f.IO.ErrOut, "%s\n", safetext.EscapeJSON(b))
	} else {
		// An error may carry a server's words (a problem's detail, a
		// signalling error's message): one line, nothing a terminal obeys.
		// Cobra's own usage errors keep their lines.
		msg := safetext.Line(err.Error())
		if flagErr != nil {
			msg = safetext.Text(err.Error())
		}
		fmt.Fprintf(f.IO.ErrOut, "rooms: %s\n", msg)
		if flagErr != nil {
			fmt.Fprintln(f.IO.ErrOut, "Run 'rooms --help' or add --help to the command for usage.")
		}
	}
	return code
}

// flagError marks a command-line mistake cobra found.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

// NewCmdRoot builds the rooms command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "rooms",
		Short: "Self-hosted video rooms, terminal first",
		Long: `rooms makes video rooms on your own roomsd: a room is a link, and anyone with the
link joins the call, from a terminal or a browser, no account needed.

rooms join opens the call on a terminal (live video tiles, sound, chat), or runs
it headless for scripts (events as lines or JSON).

Exit codes:
  0  ok
  1  failure
  2  usage error (bad flag, bad time, unknown theme, value out of range)
  3  not found (no such room, or a private room you have no link to)
  4  refused (not the host, wrong host key, locked, full, ended)
  5  server unreachable (is roomsd running?)`,
		Example: `  # book an aperitivo for 19:00 and share the link it prints
  rooms create --theme aperitivo --at 19:00

  rooms list                 # the public rooms on the server
  rooms lock ROOM            # newcomers must knock; rooms knocks / admit
  rooms info ROOM --json     # details, for scripts
  rooms end ROOM             # end it for everyone`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.settle(cmd.Flags(), cmd.Annotations[annotNewProfile] != "")
			if err != nil {
				if ExitCode(err) != ExitUsage {
					f.ran = true // the config file's fault, not the command line's
				}
				return err
			}
			f.settings = s
			if s.tokenFromFile && cliconfig.ReadableByOthers(s.path) {
				fmt.Fprintf(f.IO.ErrOut, "rooms: warning: %s holds a create token and other users can read it; run: chmod 600 %s\n", s.path, s.path)
			}
			f.server, f.serverSet, f.createToken = s.server, s.serverSet, s.token
			mode, err := colorenv.ParseMode(f.color)
			if err != nil {
				return &flagError{fmt.Errorf("--color: %w", err)}
			}
			f.colorMode = mode
			if f.filter, err = newJSONFilter(f.jq, f.template); err != nil {
				return err
			}
			if f.filter != nil {
				f.json = true
			}
			f.IO.Color = colorenv.Enabled(mode, f.IO.OutTTY, f.Getenv)
			return nil
		},
	}
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		f.describeServerFlag(root, cmd)
		defaultHelp(cmd, args)
	})
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	// --version: one line naming the build; `rooms version` says more.
	root.Version = version.Get().Long("rooms")
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return &flagError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&f.server, "server", DefaultServer, "roomsd to talk to (env ROOMS_SERVER)")
	pf.StringVar(&f.profile, "profile", "", "use this profile of the config file (env ROOMS_PROFILE; see rooms config)")
	pf.BoolVar(&f.json, "json", false, "print machine-readable JSON")
	pf.StringVar(&f.jq, "jq", "", "print what this jq expression makes of the --json output (implies --json)")
	pf.StringVar(&f.template, "template", "", "print the --json output through this Go template; fields by their JSON names (implies --json)")
	pf.StringVar(&f.color, "color", "auto", "colour people's output: auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE=1 forces), always or never")
	_ = root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions(colorenv.Modes, cobra.ShellCompDirectiveNoFileComp))

	root.AddGroup(&cobra.Group{ID: "rooms", Title: "Rooms:"}, &cobra.Group{ID: "host", Title: "Host controls:"},
		&cobra.Group{ID: "people", Title: "You and your invitations:"})
	for _, c := range []*cobra.Command{newCmdLogin(f), newCmdWhoami(f), newCmdLogout(f), newCmdInbox(f)} {
		c.GroupID = "people"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{newCmdCreate(f), newCmdJoin(f), newCmdList(f), newCmdInfo(f), newCmdLink(f), newCmdWho(f), newCmdThemes(f)} {
		c.GroupID = "rooms"
		root.AddCommand(c)
	}
	for _, c := range newCmdsHost(f) {
		c.GroupID = "host"
		root.AddCommand(c)
	}
	root.AddCommand(newCmdVersion(f), newCmdLoadtest(f), newCmdConfig(f))
	markRun(f, root)
	return root
}

// markRun wraps every command's RunE so Main can tell usage errors found
// by cobra from errors of the command itself.
func markRun(f *Factory, c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			f.ran = true
			return run(cmd, args)
		}
	}
	for _, sub := range c.Commands() {
		markRun(f, sub)
	}
}

// noArgsHelp turns cobra's arity errors into usage errors that say what
// the argument is.
func exactRoomArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return &flagError{fmt.Errorf("%s needs one ROOM (a link or an id), got %d arguments", cmd.CommandPath(), len(args))}
	}
	return nil
}

// printJSON writes v as indented JSON, with the characters a terminal
// would obey or that would disguise text escaped (safetext.EscapeJSON):
// the same JSON to a program. With --jq or --template, what they make of
// it (jsonFilter.apply).
func (f *Factory) printJSON(v any) error {
	if f.filter != nil {
		return f.filter.apply(f.IO.Out, v)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s\n", safetext.EscapeJSON(b))
	return err
}

// printJSONLine is printJSON for one of a stream of events: one compact
// line each.
func (f *Factory) printJSONLine(v any) error {
	if f.filter != nil {
		return f.filter.apply(f.IO.Out, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s\n", safetext.EscapeJSON(b))
	return err
}

// localZone is the user's IANA time zone name: $TZ, else the
// /etc/localtime link, else UTC.
func (f *Factory) localZone() string {
	if tz := strings.TrimPrefix(f.Getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(target, "zoneinfo/"); i >= 0 {
			return target[i+len("zoneinfo/"):]
		}
	}
	return "UTC"
}
