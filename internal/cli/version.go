package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/version"
	"github.com/rooms-dev/rooms/pkg/api"
)

// versionAskTimeout bounds asking the server for its version: `rooms
// version` must answer promptly even when the server does not.
const versionAskTimeout = 3 * time.Second

// versionReport is `rooms version --json`.
type versionReport struct {
	version.Info
	SignalProtocol string         `json:"signal_protocol"`
	Server         *serverVersion `json:"server"`
}

// serverVersion is what the server said about itself, or why it did not.
type serverVersion struct {
	URL            string `json:"url"`
	Version        string `json:"version,omitempty"`
	SignalProtocol string `json:"signal_protocol,omitempty"`
	Error          string `json:"error,omitempty"`
}

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of rooms, and of the server when it answers",
		Long: `Print this build of rooms (version, commit, build date, Go version, signalling
protocol) and ask the server (--server) for its version. A server speaking
another signalling protocol gets a warning: calls between them may fail.`,
		Example: "  rooms version\n  rooms --version\n  rooms version --json --server https://rooms.example.com",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rep := versionReport{Info: version.Get(), SignalProtocol: api.SignalProtocol, Server: f.askServerVersion(cmd.Context())}
			warning := protocolWarning(rep.Server)
			if warning != "" {
				fmt.Fprintf(f.IO.ErrOut, "rooms: warning: %s\n", warning)
			}
			if f.json {
				return f.printJSON(rep)
			}
			i := rep.Info
			fmt.Fprintf(f.IO.Out, "rooms %s\n  commit     %s\n  built      %s\n  go         %s (%s)\n  signalling %s\n",
				i.Version, i.Commit, i.Date, i.GoVersion, i.Platform, rep.SignalProtocol)
			s := rep.Server
			if s.Error != "" {
				_, err := fmt.Fprintf(f.IO.Out, "server %s: %s\n", s.URL, s.Error)
				return err
			}
			_, err := fmt.Fprintf(f.IO.Out, "server %s: roomsd %s (signalling %s)\n", s.URL, s.Version, orUnknown(s.SignalProtocol))
			return err
		},
	}
}

// askServerVersion asks --server for /v1/info; a server that does not
// answer is reported, not an error: the client's version stands alone.
func (f *Factory) askServerVersion(ctx context.Context) *serverVersion {
	if ctx == nil {
		ctx = context.Background()
	}
	s := &serverVersion{URL: f.server}
	c, err := f.defaultClient()
	if err != nil {
		s.Error = err.Error()
		return s
	}
	ctx, cancel := context.WithTimeout(ctx, versionAskTimeout)
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		s.Error = "no answer: " + safetext.Line(err.Error())
		return s
	}
	s.Version, s.SignalProtocol = safetext.Line(info.Version), safetext.Line(info.SignalProtocol)
	return s
}

// protocolWarning says why a call with this server may fail, or "".
func protocolWarning(s *serverVersion) string {
	if s == nil || s.Error != "" || s.SignalProtocol == "" || s.SignalProtocol == api.SignalProtocol {
		return ""
	}
	return fmt.Sprintf("roomsd at %s speaks signalling protocol %s and this rooms speaks %s: calls may fail; use the same release of rooms and roomsd",
		s.URL, s.SignalProtocol, api.SignalProtocol)
}

func orUnknown(s string) string {
	if s == "" {
		return version.Unknown
	}
	return s
}
