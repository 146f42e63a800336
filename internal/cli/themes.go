package cli

import (
	"fmt"

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
			tb := &table{}
			for _, t := range all {
				palette := fmt.Sprintf("accent %s  background %s  text %s  border %s", t.Palette.Accent, t.Palette.Background, t.Palette.Text, t.Palette.TileBorder)
				if f.IO.Color {
					palette = fmt.Sprintf("%s  %s  %s  %s", f.IO.Swatch(t.Palette.Accent), f.IO.Swatch(t.Palette.Background), f.IO.Swatch(t.Palette.Text), f.IO.Swatch(t.Palette.TileBorder))
				}
				tb.row(t.Emoji+" "+f.IO.Paint(t.Palette.Accent, f.IO.Bold(t.Name)), t.Description)
				tb.row("", f.IO.Dim(palette))
			}
			return tb.write(f.IO.Out, "")
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
