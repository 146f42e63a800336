package daemon

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/version"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// versionReport is `roomsd version --json`.
type versionReport struct {
	version.Info
	SignalProtocol string `json:"signal_protocol"`
}

func newCmdVersion(stdout io.Writer) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print roomsd's version, commit, build date and Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			i := version.Get()
			if asJSON {
				b, err := json.MarshalIndent(versionReport{i, apitypes.SignalProtocol}, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(stdout, "%s\n", b)
				return err
			}
			_, err := fmt.Fprintf(stdout, "roomsd %s\n  commit     %s\n  built      %s\n  go         %s (%s)\n  signalling %s\n",
				i.Version, i.Commit, i.Date, i.GoVersion, i.Platform, apitypes.SignalProtocol)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print machine-readable JSON")
	return cmd
}
