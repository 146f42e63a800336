package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func newCmdList(f *Factory) *cobra.Command {
	var mine bool
	var tz string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the server's public rooms, or yours",
		Long: `List the rooms in the server's public directory: listed rooms that are open or
booked. With --mine, list the rooms you created from this machine (public or
private, ended ones too), found by the host keys saved here.`,
		Example: `  rooms list
  rooms list --mine
  rooms list --json | jq -r '.[].link'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return listRun(cmd.Context(), f, mine, tz)
		},
	}
	cmd.Flags().BoolVar(&mine, "mine", false, "list the rooms you host")
	cmd.Flags().StringVar(&tz, "tz", "", "show times in this zone (default: your local zone)")
	return cmd
}

func listRun(ctx context.Context, f *Factory, mine bool, tz string) error {
	loc, err := f.displayZone(tz)
	if err != nil {
		return err
	}
	c, err := f.defaultClient()
	if err != nil {
		return err
	}
	var rooms []api.Room
	if mine {
		rooms, err = myRooms(ctx, f, c)
	} else {
		rooms, err = c.ListRooms(ctx)
	}
	if err != nil {
		return explain(c.Server(), err)
	}
	if rooms == nil {
		rooms = []api.Room{}
	}
	if f.json {
		return f.printJSON(rooms)
	}
	if len(rooms) == 0 {
		if mine {
			fmt.Fprintf(f.IO.Out, "You host no rooms on %s. Create one: rooms create --theme aperitivo --at 19:00\n", c.Server())
		} else {
			fmt.Fprintf(f.IO.Out, "No public rooms on %s right now. Create one: rooms create --theme aperitivo --at 19:00\n", c.Server())
		}
		return nil
	}
	f.printRoomTable(f.IO.Out, rooms, loc)
	return nil
}

// maxMine is the server's bound on one lookup; the newest keys go first.
const maxMine = 1000

// myRooms asks the server for the rooms whose host keys this user holds.
func myRooms(ctx context.Context, f *Factory, c *client.Client) ([]api.Room, error) {
	keys, err := f.hostKeys()
	if err != nil {
		return nil, err
	}
	held, err := keys.List(c.Origin())
	if err != nil || len(held) == 0 {
		return nil, err
	}
	held = held[:min(len(held), maxMine)]
	refs := make([]api.HostKeyRef, 0, len(held))
	for _, h := range held {
		refs = append(refs, api.HostKeyRef{ID: h.Room, HostKey: h.HostKey})
	}
	return c.MyRooms(ctx, refs)
}
