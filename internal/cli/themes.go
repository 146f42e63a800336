package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/internal/version"
)

func newCmdThemes(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "themes",
		Short:   "Show the themes a room can have, with their colours",
		Example: "  rooms themes\n  rooms create --theme movie-night",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			all := theme.All()
			if f.json {
				return f.printJSON(all)
			}
			tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
			for _, t := range all {
				fmt.Fprintf(tw, "%s %s\t%s\t%s\n", t.Emoji, f.IO.Paint(t.Palette.Accent, f.IO.Bold(t.Name)), t.Title, t.Description)
				if f.IO.Color {
					fmt.Fprintf(tw, "\t%s %s %s %s\t\n", f.IO.Swatch(t.Palette.Accent), f.IO.Swatch(t.Palette.Background), f.IO.Swatch(t.Palette.Text), f.IO.Swatch(t.Palette.TileBorder))
				} else {
					fmt.Fprintf(tw, "\taccent %s  background %s  text %s  border %s\t\n", t.Palette.Accent, t.Palette.Background, t.Palette.Text, t.Palette.TileBorder)
				}
			}
			return tw.Flush()
		},
	}
}

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of rooms",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.json {
				return f.printJSON(map[string]string{"version": version.String()})
			}
			_, err := fmt.Fprintf(f.IO.Out, "rooms %s\n", version.String())
			return err
		},
	}
}
