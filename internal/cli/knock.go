package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
)

// knockWait says how long a knock waits, for people.
var knockWait = fmt.Sprintf("%d minutes", int(api.KnockWait.Minutes()))

// newCmdsKnock builds the host's commands for knocks on a locked room.
func newCmdsKnock(f *Factory) []*cobra.Command {
	return []*cobra.Command{newCmdKnocks(f), newCmdAnswerKnock(f, true), newCmdAnswerKnock(f, false)}
}

func newCmdKnocks(f *Factory) *cobra.Command {
	var hostKey string
	cmd := &cobra.Command{
		Use:   "knocks ROOM",
		Short: "Show who knocks on a locked room",
		Long: `Show who knocks on a locked room, oldest first: people new to the room who asked the
host to let them in (rooms join --knock, or "Ask to join" in a browser). Let them in with
rooms admit, turn them away with rooms deny. A knock waits at most ` + knockWait + `.

Only the host may do this: the host key saved by ` + "`rooms create`" + ` on this machine is used, or --host-key.`,
		Example:           "  rooms knocks ROOM\n  rooms knocks ROOM --json | jq -r '.[].name'",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, key, err := f.resolveHost(args[0], hostKey)
			if err != nil {
				return err
			}
			ks, err := t.c.Knocks(cmd.Context(), t.id, key)
			if err != nil {
				return explain(t.c.Server(), err)
			}
			if f.json {
				if ks == nil {
					ks = []api.Knock{}
				}
				return f.printJSON(ks)
			}
			if len(ks) == 0 {
				_, err := fmt.Fprintln(f.IO.Out, "Nobody is knocking.")
				return err
			}
			tb := &table{}
			tb.row(f.IO.Dim("NAME"), f.IO.Dim("ID"), f.IO.Dim("WAITING"))
			for _, k := range ks {
				tb.row(safetext.Line(k.Name), safetext.Line(k.ID), humanDuration(f.Now().Sub(k.At)))
			}
			return tb.write(f.IO.Out, "")
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	return cmd
}

func newCmdAnswerKnock(f *Factory, admit bool) *cobra.Command {
	var hostKey string
	use, short, long, done := "admit", "Let someone knocking into a locked room",
		"Let someone knocking on a locked room in: they enter the call at once, and their key may come back later (after a dropped connection) while the room stays locked.",
		"was let in"
	if !admit {
		use, short, long, done = "deny", "Turn away someone knocking on a locked room",
			"Turn away someone knocking on a locked room: they are told the host declined, and their key cannot knock on this room again.",
			"was turned away and cannot knock on this room again"
	}
	cmd := &cobra.Command{
		Use:   use + " ROOM KNOCK",
		Short: short,
		Long: long + ` KNOCK is the knocker's name or the knock's id from ` + "`rooms knocks`" + `.

Only the host may do this: the host key saved by ` + "`rooms create`" + ` on this machine is used, or --host-key.`,
		Example: fmt.Sprintf("  rooms knocks ROOM\n  rooms %s ROOM Ann\n  rooms %s ROOM k3f9c2a1b4d5e6f70", use, use),
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &flagError{fmt.Errorf("rooms %s needs ROOM and KNOCK (a name or id from rooms knocks), got %d arguments", use, len(args))}
			}
			return nil
		},
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, key, err := f.resolveHost(args[0], hostKey)
			if err != nil {
				return err
			}
			k, err := t.c.AnswerKnock(cmd.Context(), t.id, key, args[1], admit)
			if err != nil {
				return explain(t.c.Server(), err)
			}
			if f.json {
				return f.printJSON(k)
			}
			_, err = fmt.Fprintf(f.IO.Out, "%s (%s) %s\n", safetext.Line(k.Name), safetext.Line(k.ID), done)
			return err
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	return cmd
}
