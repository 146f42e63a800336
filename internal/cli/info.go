package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
)

func newCmdInfo(f *Factory) *cobra.Command {
	var tz string
	var web bool
	cmd := &cobra.Command{
		Use:               "info ROOM",
		Short:             "Show a room's details",
		Long:              "Show a room's details: link, when it opens, theme, visibility, lock, people, and how many may share a screen at once. ROOM is a link or an id.",
		Example:           "  rooms info http://127.0.0.1:7880/r/2kq4...\n  rooms info ROOM --jq .locked\n  rooms info ROOM --web      # open it in the browser",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			if web {
				return webRun(cmd.Context(), f, args[0], false)
			}
			return infoRun(cmd.Context(), f, args[0], tz)
		},
	}
	cmd.Flags().StringVar(&tz, "tz", "", "show times in this zone (default: your local zone)")
	cmd.Flags().BoolVarP(&web, "web", "w", false, "open the room's link in the browser ($BROWSER, else xdg-open) instead")
	return cmd
}

func infoRun(ctx context.Context, f *Factory, arg, tz string) error {
	loc, err := f.displayZone(tz)
	if err != nil {
		return err
	}
	t, err := f.resolve(arg)
	if err != nil {
		return err
	}
	// The host (who holds the key here, for this server) also sees the
	// invitations.
	r, err := t.c.GetRoomAsHost(ctx, t.id, f.savedHostKey(t))
	if err != nil {
		return explain(t.c.Server(), err)
	}
	if f.json {
		return f.printJSON(r)
	}
	f.printRoom(f.IO.Out, r, loc)
	if len(r.Invitations) > 0 {
		fmt.Fprintln(f.IO.Out, "\nInvited:")
		tb := &table{}
		for _, inv := range r.Invitations {
			tb.row(safetext.Line(inv.Address), safetext.Line(inv.Delivery))
		}
		_ = tb.write(f.IO.Out, "  ")
	}
	return nil
}

func newCmdLink(f *Factory) *cobra.Command {
	var host, web bool
	cmd := &cobra.Command{
		Use:   "link ROOM",
		Short: "Print a room's link, or open it in the browser",
		Long: `Print a room's link, to share. With --host, print a link that also carries your
host key in its #fragment, for opening the room as its host in a browser; browsers
never send the fragment to the server. Keep that one to yourself.

With --web, open the link in your browser instead: $BROWSER (a command; the link is
its last argument), else xdg-open.`,
		Example:           "  rooms link ROOM | wl-copy\n  rooms link ROOM --host\n  rooms link ROOM --web --host   # join as the host in the browser",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			if web {
				return webRun(cmd.Context(), f, args[0], host)
			}
			id, link, err := roomLink(cmd.Context(), f, args[0], host)
			if err != nil {
				return err
			}
			if f.json {
				return f.printJSON(map[string]string{"id": id, "link": link})
			}
			_, err = fmt.Fprintln(f.IO.Out, link)
			return err
		},
	}
	cmd.Flags().BoolVar(&host, "host", false, "include the host key in the link's fragment")
	cmd.Flags().BoolVarP(&web, "web", "w", false, "open the link in the browser ($BROWSER, else xdg-open) instead of printing it")
	return cmd
}

// roomLink is the room's id and link as the server gives them, with the
// host key in the link's fragment when host is set.
func roomLink(ctx context.Context, f *Factory, arg string, host bool) (id, link string, err error) {
	t, err := f.resolve(arg)
	if err != nil {
		return "", "", err
	}
	r, err := t.c.GetRoom(ctx, t.id)
	if err != nil {
		return "", "", explain(t.c.Server(), err)
	}
	link = safetext.Line(r.Link)
	if host {
		key, err := f.hostKey(t, "")
		if err != nil {
			return "", "", err
		}
		link += "#host=" + key
	}
	return r.ID, link, nil
}

// webRun opens a room's link in the browser.
func webRun(ctx context.Context, f *Factory, arg string, host bool) error {
	_, link, err := roomLink(ctx, f, arg, host)
	if err != nil {
		return err
	}
	return f.openInBrowser(ctx, link)
}

// completeRooms offers the rooms whose host keys this machine holds.
func (f *Factory) completeRooms(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	keys, err := f.hostKeys()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	held, err := keys.List("")
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, h := range held {
		// The name was the server's answer at create.
		out = append(out, cobra.CompletionWithDesc(h.Room, safetext.Line(h.Name)+" "+h.Server))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
