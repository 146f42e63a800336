package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/pkg/api"
)

// newCmdsHost builds the commands only a room's host may run.
func newCmdsHost(f *Factory) []*cobra.Command {
	yes, no := true, false
	private, public := "private", "public"
	simple := []struct {
		use, short, long, done string
		req                    api.UpdateRoomRequest
	}{
		{"lock", "Lock a room: nobody new gets in unless you let them",
			"Lock a room: people in the call stay, and anyone who has been in it can come back; nobody new gets in\nunless a host lets them: newcomers may knock (rooms knocks ROOM lists them, rooms admit\nand rooms deny answer, and so can a host in the call). The host can always come back in.",
			"locked: newcomers must knock (rooms knocks ROOM)", api.UpdateRoomRequest{Locked: &yes}},
		{"unlock", "Unlock a room so people can join again", "Unlock a room so anyone with the link can join again.",
			"unlocked: anyone with the link can join", api.UpdateRoomRequest{Locked: &no}},
		{"hide", "Hide a room from the public directory", "Hide a room: it leaves the server's directory and is reachable by its link only.",
			"hidden: reachable by link only", api.UpdateRoomRequest{Visibility: &private}},
		{"unhide", "List a room in the public directory again", "List a hidden room in the server's public directory again.",
			"listed in the public directory", api.UpdateRoomRequest{Visibility: &public}},
	}
	var cmds []*cobra.Command
	for _, s := range simple {
		var hostKey string
		cmd := &cobra.Command{
			Use:               s.use + " ROOM",
			Short:             s.short,
			Long:              s.long + "\n\nOnly the host may do this: the host key saved by `rooms create` on this machine is used, or --host-key.",
			Example:           fmt.Sprintf("  rooms %s http://127.0.0.1:7880/r/2kq4...\n  rooms %s ROOM --json", s.use, s.use),
			Args:              exactRoomArg,
			ValidArgsFunction: f.completeRooms,
			RunE: func(cmd *cobra.Command, args []string) error {
				return updateRun(cmd.Context(), f, args[0], hostKey, s.req, s.done)
			},
		}
		addHostKeyFlag(cmd, &hostKey)
		cmds = append(cmds, cmd)
	}
	cmds = append(cmds, newCmdsKnock(f)...)
	return append(cmds, newCmdEdit(f), newCmdOpen(f), newCmdKick(f), newCmdWebhooks(f), newCmdEnd(f))
}

func addHostKeyFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, "host-key", "", "the room's host key (default: the one saved when you created it; env ROOMS_HOST_KEY)")
}

func updateRun(ctx context.Context, f *Factory, arg, flagKey string, req api.UpdateRoomRequest, done string) error {
	t, key, err := f.resolveHost(arg, flagKey)
	if err != nil {
		return err
	}
	r, err := t.c.UpdateRoom(ctx, t.id, key, req)
	if err != nil {
		return explain(t.c.Server(), err)
	}
	if f.json {
		return f.printJSON(r)
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s %s\n", f.roomTitle(r), done)
	return err
}

type editOptions struct {
	name, theme, at, tz string
	duration            time.Duration
	max                 int
	screens             int
	hostKey             string
}

func newCmdEdit(f *Factory) *cobra.Command {
	o := &editOptions{}
	cmd := &cobra.Command{
		Use:   "edit ROOM",
		Short: "Change a room's name, theme, time, duration, size or screen-share cap",
		Long: `Change a room's settings. Only the flags you give change. A booked room can be
moved with --at until it opens; --at now opens it early.

--max-screen-shares caps how many people share a screen at once, up to the server's
cap; 0 goes back to the server's cap. During a call it counts from the next screen
shared: people already sharing go on.`,
		Example: `  rooms edit ROOM --at 20:00
  rooms edit ROOM --theme birthday --name "Ann turns 30"
  rooms edit ROOM --at now                  # open a booked room early
  rooms edit ROOM --max-screen-shares 1     # one shared screen at a time
  rooms edit ROOM --max-screen-shares 0     # back to the server's cap`,
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			return editRun(cmd, f, args[0], o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "new name")
	fl.StringVar(&o.theme, "theme", "", "new theme (list: rooms themes)")
	fl.StringVar(&o.at, "at", "", "new opening time (only before the room opens); now opens it")
	fl.StringVar(&o.tz, "tz", "", "time zone for --at (default: your local zone)")
	fl.DurationVar(&o.duration, "duration", 0, "new duration from the opening time; 0 removes it")
	fl.IntVar(&o.max, "max", 0, "new cap on people in the call")
	fl.IntVar(&o.screens, "max-screen-shares", 0, "new cap on people sharing a screen at once, up to the server's; 0 is the server's cap")
	addHostKeyFlag(cmd, &o.hostKey)
	_ = cmd.RegisterFlagCompletionFunc("theme", completeThemes)
	return cmd
}

func editRun(cmd *cobra.Command, f *Factory, arg string, o *editOptions) error {
	var req api.UpdateRoomRequest
	changed := cmd.Flags().Changed
	if changed("name") {
		req.Name = &o.name
	}
	if changed("theme") {
		if _, ok := theme.Lookup(o.theme); !ok {
			return codedUsageErr(api.CodeUnknownTheme, "unknown theme %q; choose one of: %s", o.theme, strings.Join(theme.Names(), ", "))
		}
		req.Theme = &o.theme
	}
	if changed("at") || changed("tz") {
		res, zone, err := f.parseAt(o.at, o.tz, changed)
		if err != nil {
			return err
		}
		req.TimeZone = &zone
		if res != nil {
			t := res.Time.UTC()
			req.StartsAt = &t
		}
	}
	if changed("duration") {
		if o.duration < 0 || (o.duration != 0 && o.duration < time.Minute) {
			return usageErr("--duration must be 0 (none) or at least 1m")
		}
		secs := int64(o.duration / time.Second)
		req.DurationSeconds = &secs
	}
	if changed("max") {
		if o.max < 1 {
			return codedUsageErr(api.CodeInvalidArgument, "--max must be at least 1, not %d", o.max)
		}
		req.MaxParticipants = &o.max
	}
	if changed("max-screen-shares") {
		if o.screens < 0 {
			return usageErr("--max-screen-shares must be 1 or more (or 0 for the server's cap), not %d", o.screens)
		}
		req.MaxScreenShares = &o.screens
	}
	if req == (api.UpdateRoomRequest{}) {
		return &flagError{fmt.Errorf("nothing to change: give at least one of --name, --theme, --at, --tz, --duration, --max, --max-screen-shares")}
	}
	err := updateRun(cmd.Context(), f, arg, o.hostKey, req, "updated")
	if req.MaxScreenShares != nil {
		if serr := screenCapErr(err, o.screens); serr != nil {
			return serr
		}
	}
	return err
}

func newCmdEnd(f *Factory) *cobra.Command {
	var hostKey string
	var yes bool
	cmd := &cobra.Command{
		Use:   "end ROOM",
		Short: "End a room for everyone",
		Long: `End a room for everyone: people in the call are let go and the link stops working.
A booked room that has not opened yet is cancelled. This cannot be undone.

On a terminal you are asked to confirm; scripts pass --yes.`,
		Example:           "  rooms end ROOM\n  rooms end ROOM --yes --json",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, key, err := f.resolveHost(args[0], hostKey)
			if err != nil {
				return err
			}
			if !yes {
				ok, err := f.confirm("ending a room cannot be undone",
					fmt.Sprintf("End room %s for everyone? This cannot be undone.", safetext.Line(t.id)))
				if err != nil || !ok {
					if err == nil {
						fmt.Fprintln(f.IO.Out, "Not ended.")
					}
					return err
				}
			}
			r, err := t.c.EndRoom(cmd.Context(), t.id, key)
			if err != nil {
				return explain(t.c.Server(), err)
			}
			if f.json {
				return f.printJSON(r)
			}
			_, err = fmt.Fprintf(f.IO.Out, "%s ended for everyone\n", f.roomTitle(r))
			return err
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func newCmdOpen(f *Factory) *cobra.Command {
	var hostKey string
	var yes bool
	cmd := &cobra.Command{
		Use:   "open ROOM",
		Short: "Open a booked room now, before its time, and tell its invitees",
		Long: `Open a booked room now, before its time; its invitees are told it is open (by
their inbox, email or webhook), which cannot be taken back.

On a terminal you are asked to confirm; scripts pass --yes. To open a room's link
in your browser instead, use rooms link ROOM --web.`,
		Example:           "  rooms open ROOM\n  rooms open ROOM --yes --json\n  rooms link ROOM --web      # open it in the browser",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				t, key, err := f.resolveHost(args[0], hostKey)
				if err != nil {
					return err
				}
				r, err := t.c.GetRoomAsHost(cmd.Context(), t.id, key)
				if err != nil {
					return explain(t.c.Server(), err)
				}
				who := "Anyone with the link can join at once."
				switch n := len(r.Invitations); {
				case n == 1:
					who = "Its invitee is told it is open."
				case n > 1:
					who = fmt.Sprintf("Its %d invitees are told it is open.", n)
				}
				ok, err := f.confirm("opening a room tells its invitees at once",
					fmt.Sprintf("Open %s now? %s", f.roomTitle(r), who))
				if err != nil || !ok {
					if err == nil {
						fmt.Fprintln(f.IO.Out, "Not opened.")
					}
					return err
				}
			}
			now := f.Now().UTC()
			return updateRun(cmd.Context(), f, args[0], hostKey, api.UpdateRoomRequest{StartsAt: &now}, "is open")
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

// confirm asks question on the terminal and says whether the answer was
// yes. Off a terminal it asks nothing and refuses, saying what and that
// --yes confirms.
func (f *Factory) confirm(what, question string) (bool, error) {
	if !f.IO.InTTY || !f.IO.OutTTY {
		return false, &flagError{fmt.Errorf("%s: pass --yes to confirm when not on a terminal", what)}
	}
	fmt.Fprintf(f.IO.Out, "%s [y/N] ", question)
	line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}
