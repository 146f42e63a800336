package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
)

func newCmdWho(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "who ROOM",
		Short:             "Show who is in a room's call",
		Long:              "Show who is in a room's call: names, ids, who is host, what they send and what they muted.",
		Example:           "  rooms who ROOM\n  rooms who ROOM --json | jq -r '.[].name'",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := f.resolve(args[0])
			if err != nil {
				return err
			}
			ps, err := t.c.Participants(cmd.Context(), t.id)
			if err != nil {
				return explain(t.c.Server(), err)
			}
			sort.Slice(ps, func(i, j int) bool { return ps[i].JoinedAt.Before(ps[j].JoinedAt) })
			if f.json {
				if ps == nil {
					ps = []api.Participant{}
				}
				return f.printJSON(ps)
			}
			if len(ps) == 0 {
				_, err := fmt.Fprintln(f.IO.Out, "Nobody is in the call.")
				return err
			}
			tb := &table{}
			tb.row(f.IO.Dim("NAME"), f.IO.Dim("ID"), f.IO.Dim("SENDS"), f.IO.Dim("MUTED"), f.IO.Dim("IN FOR"))
			for _, p := range ps {
				name := safetext.Line(p.Name)
				if p.Host {
					name += " (host)"
				}
				var sends, muted []string
				for _, tr := range p.Tracks {
					sends = append(sends, safetext.Line(string(tr.Kind)))
				}
				sort.Strings(sends)
				if p.Muted.Audio {
					muted = append(muted, "mic")
				}
				if p.Muted.Video {
					muted = append(muted, "camera")
				}
				tb.row(name, safetext.Line(p.ID), orDash(strings.Join(sends, ", ")), orDash(strings.Join(muted, ", ")), humanDuration(f.Now().Sub(p.JoinedAt)))
			}
			return tb.write(f.IO.Out, "")
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newCmdKick(f *Factory) *cobra.Command {
	var hostKey string
	cmd := &cobra.Command{
		Use:     "kick ROOM PARTICIPANT",
		Aliases: []string{"remove"},
		Short:   "Remove someone from a room's call for good",
		Long: `Remove someone from a room's call, as its host. They are disconnected at once, told
"you were removed by the host", and cannot come back into this room. PARTICIPANT is a
name or an id from ` + "`rooms who`" + `. Nobody can mute someone else; removing is the host's tool.`,
		Example: "  rooms who ROOM\n  rooms kick ROOM p3f9c2a1b4d5e6f70\n  rooms kick ROOM Bo",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return &flagError{fmt.Errorf("rooms kick needs ROOM and PARTICIPANT, got %d arguments", len(args))}
			}
			return nil
		},
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, key, err := f.resolveHost(args[0], hostKey)
			if err != nil {
				return err
			}
			p, err := t.c.RemoveParticipant(cmd.Context(), t.id, key, args[1])
			if err != nil {
				return explain(t.c.Server(), err)
			}
			if f.json {
				return f.printJSON(p)
			}
			_, err = fmt.Fprintf(f.IO.Out, "%s (%s) was removed and cannot come back into this room\n", safetext.Line(p.Name), safetext.Line(p.ID))
			return err
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	return cmd
}
