package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/theme"
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
