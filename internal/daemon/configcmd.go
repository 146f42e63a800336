package daemon

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rooms-dev/rooms/internal/server"
)

// ExitBadConfig is roomsd's exit code when its configuration is refused
// (roomsd config check).
const ExitBadConfig = 2

// exitError is an error that ends roomsd with its own exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the process exit code for an error a command returned.
func exitCode(err error) int {
	if ee, ok := errors.AsType[*exitError](err); ok {
		return ee.code
	}
	return 1
}

// secretKeys are the settings config check never prints.
var secretKeys = map[string]bool{"create-token": true, "webhook-secret": true, "turn-secret": true}

func newCmdConfig(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check roomsd's configuration, or print an example file",
		Long: `roomsd reads its settings from flags, ROOMSD_* variables and a YAML file
(--config FILE or ROOMSD_CONFIG), in that order of precedence, over the defaults.
Every flag of roomsd serve is a key of the file, without its dashes.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCmdConfigCheck(stdout), newCmdConfigExample(stdout))
	return cmd
}

func newCmdConfigCheck(stdout io.Writer) *cobra.Command {
	var cfg server.Config = server.Defaults()
	cmd := &cobra.Command{
		Use:   "check [--config FILE] [flags of roomsd serve]",
		Short: "Check the configuration roomsd serve would run with, and print it",
		Long: `Read the settings as roomsd serve would (flags, then ROOMSD_* variables, then
the --config file), check every value, and print the result with where each came
from; the create token, the webhook secret and the mail password are masked.
Exit status 0 when roomsd would start with it, 2 when a setting is refused.
Nothing is written: a create token or webhook secret roomsd would make at first
start is not made.`,
		Example: `  roomsd config check --config /etc/roomsd/roomsd.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ld, err := load(cmd.Flags(), os.LookupEnv)
			if err == nil {
				err = check(ld)
			}
			if err != nil {
				return &exitError{code: ExitBadConfig, err: fmt.Errorf("the configuration is refused: %w", err)}
			}
			return printResolved(stdout, ld)
		},
	}
	serveFlags(cmd.Flags(), &cfg)
	return cmd
}

// check runs every test roomsd serve would at start, without side effects.
func check(ld *loaded) error {
	if _, err := newLogger(ld.cfg, io.Discard, new(slog.LevelVar)); err != nil {
		return err
	}
	return ld.cfg.Check() // resolves ld.cfg: the flags now show derived values
}

// printResolved writes ld as a config file, each line saying where its
// value came from.
func printResolved(w io.Writer, ld *loaded) error {
	file := ld.path
	if file == "" {
		file = "none"
	}
	fmt.Fprintf(w, "# roomsd configuration, checked (config file: %s)\n", file)
	var err error
	ld.fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == configFlag || err != nil {
			return
		}
		value := yamlValue(f)
		if secretKeys[f.Name] && f.Value.String() != "" {
			value = `"********"`
		}
		if f.Name == "smtp-url" && f.Value.String() != "" {
			if u, perr := url.Parse(f.Value.String()); perr == nil {
				value = strconv.Quote(u.Redacted())
			}
		}
		_, err = fmt.Fprintf(w, "%s: %s  # %s\n", f.Name, value, sourceOf(ld, f.Name))
	})
	return err
}

func newCmdConfigExample(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "example",
		Short: "Print a commented config file with every setting at its default",
		Example: `  roomsd config example > /etc/roomsd/roomsd.yaml
  roomsd serve --config /etc/roomsd/roomsd.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeExample(stdout)
		},
	}
}

// writeExample writes a config file naming every setting, each commented
// out at its default, under its flag's help.
func writeExample(w io.Writer) error {
	cfg := server.Defaults()
	fs := pflag.NewFlagSet("roomsd", pflag.ContinueOnError)
	fs.SortFlags = false // in serve's order: listen first
	serveFlags(fs, &cfg)
	var b strings.Builder
	b.WriteString(`# roomsd configuration (YAML). Every key is a flag of roomsd serve without
# its dashes; uncomment a line to set it. A flag on the command line or a
# ROOMSD_* variable wins over this file. Use it with:
#
#     roomsd serve --config FILE        (or ROOMSD_CONFIG=FILE)
#     roomsd config check --config FILE
#
# On SIGHUP roomsd reads this file again: the create token, the webhooks and
# their secret, the log level and the rate limits change without touching
# calls; the other settings need a restart.
`)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == configFlag {
			return
		}
		fmt.Fprintf(&b, "\n# %s\n#%s: %s\n", f.Usage, f.Name, yamlValue(f))
	})
	_, err := io.WriteString(w, b.String())
	return err
}

// yamlValue writes a setting's value as YAML: a quoted string, a bare
// number or boolean, or a list for the repeatable settings.
func yamlValue(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		items := sv.GetSlice()
		for i, s := range items {
			items[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	switch f.Value.Type() {
	case "int", "float64", "bool":
		return f.Value.String()
	}
	return strconv.Quote(f.Value.String())
}
