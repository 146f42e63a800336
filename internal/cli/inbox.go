package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/internal/when"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// authClient is a client that signs its requests with this user's key.
func (f *Factory) authClient() (*client.Client, error) {
	key, err := f.identity()
	if err != nil {
		return nil, err
	}
	c, err := client.New(f.server, client.WithKey(key), client.WithUserAgent("rooms-cli"))
	if err != nil {
		return nil, usageErr("--server: %w", err)
	}
	return c, nil
}

func newCmdLogin(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "login NAME",
		Short: "Claim a handle on the server, so people can invite you",
		Long: `Claim a handle on the server, bound to this machine's key: first come, first served.
People invite you by it (rooms create --invite NAME) and rooms inbox shows what they send.
Running it again with another name moves you to that name.`,
		Example: "  rooms login ann\n  rooms whoami",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &flagError{errors.New("rooms login needs one NAME")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.authClient()
			if err != nil {
				return err
			}
			name := strings.ToLower(strings.TrimSpace(args[0]))
			if err := c.Login(cmd.Context(), name); err != nil {
				return explain(c.Server(), err)
			}
			if f.json {
				return f.printJSON(api.Handle{Handle: name})
			}
			_, err = fmt.Fprintf(f.IO.Out, "You are %s on %s. Invitations arrive in: rooms inbox --follow\n", name, c.Server())
			return err
		},
	}
}

func newCmdWhoami(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show your handle on the server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.authClient()
			if err != nil {
				return err
			}
			h, err := c.Whoami(cmd.Context())
			if err != nil {
				return explain(c.Server(), err)
			}
			if f.json {
				return f.printJSON(api.Handle{Handle: h})
			}
			if h == "" {
				_, err = fmt.Fprintf(f.IO.Out, "You have no handle on %s. Claim one: rooms login NAME\n", c.Server())
				return err
			}
			_, err = fmt.Fprintf(f.IO.Out, "%s on %s\n", safetext.Line(h), c.Server())
			return err
		},
	}
}

func newCmdLogout(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Give up your handle on the server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.authClient()
			if err != nil {
				return err
			}
			if err := c.Logout(cmd.Context()); err != nil {
				return explain(c.Server(), err)
			}
			if f.json {
				return f.printJSON(api.Handle{})
			}
			_, err = fmt.Fprintln(f.IO.Out, "Your handle is free for anyone to claim.")
			return err
		},
	}
}

func newCmdInbox(f *Factory) *cobra.Command {
	var follow bool
	var after int64
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "Show the notifications sent to your handle",
		Long: `Show the notifications sent to your handle: invitations, reminders, rooms opening,
rescheduled and cancelled. With --follow, keep streaming them as they come (a dropped
connection resumes where it left off, losing and repeating nothing); with --json, one
object per line.`,
		Example: `  rooms inbox
  rooms inbox --follow
  rooms inbox --follow --json | jq -r 'select(.type=="room_open") | .link'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.authClient()
			if err != nil {
				return err
			}
			print := func(n api.Notification) {
				if f.json {
					_ = f.printJSONLine(n)
					return
				}
				fmt.Fprintln(f.IO.Out, f.describeNotification(n))
			}
			if !follow {
				// The server answers in pages; read them all.
				var ns []api.Notification
				for {
					page, err := c.Inbox(cmd.Context(), after)
					if err != nil {
						return explain(c.Server(), err)
					}
					if len(page) == 0 {
						break
					}
					// Ids only grow: a page that does not move past the
					// last one is a broken or hostile server, which would
					// otherwise keep this loop going.
					last := page[len(page)-1].ID
					if last <= after {
						return fmt.Errorf("the server at %s answered the inbox with notifications it had already sent; stopping", c.Server())
					}
					ns = append(ns, page...)
					if len(ns) >= maxInboxRead {
						break
					}
					after = last
				}
				if len(ns) == 0 && !f.json {
					_, err := fmt.Fprintln(f.IO.Out, "Nothing in your inbox.")
					return err
				}
				for _, n := range ns {
					print(n)
				}
				return nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if !f.json {
				fmt.Fprintln(f.IO.ErrOut, "Waiting for notifications (Ctrl-C stops)…")
			}
			err = c.FollowInbox(ctx, after, print, func(err error) {
				fmt.Fprintf(f.IO.ErrOut, "rooms: inbox stream dropped (%s); reconnecting…\n", safetext.Line(err.Error()))
			})
			if err != nil {
				return explain(c.Server(), err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep streaming new notifications")
	cmd.Flags().Int64Var(&after, "after", 0, "only notifications after this id")
	return cmd
}

// maxInboxRead bounds what one `rooms inbox` reads.
const maxInboxRead = 10000

// describeNotification is a notification as a line for people; what the
// server says goes through safetext.Line.
func (f *Factory) describeNotification(n api.Notification) string {
	loc, _ := f.displayZone("")
	n.Type, n.Link = safetext.Line(n.Type), safetext.Line(n.Link)
	name := safetext.Line(n.Room.Name)
	if name == "" {
		th, _ := theme.Lookup(n.Room.Theme)
		name = strings.TrimSpace(th.Emoji + " " + th.Title)
	}
	at := when.Describe(n.At, f.Now(), loc)
	switch n.Type {
	case "invited":
		return fmt.Sprintf("📨 You're invited to %s, %s: %s", name, at, n.Link)
	case "reminder":
		return fmt.Sprintf("⏰ %s opens %s: %s", name, at, n.Link)
	case "room_open":
		return fmt.Sprintf("🟢 %s is open now: rooms join %s", name, n.Link)
	case "rescheduled":
		old := ""
		if n.OldAt != nil {
			old = " (was " + when.Describe(*n.OldAt, f.Now(), loc) + ")"
		}
		return fmt.Sprintf("🔁 %s moved to %s%s: %s", name, at, old, n.Link)
	case "ending_soon":
		end := ""
		if n.Room.EndsAt != nil {
			end = " at " + when.Describe(*n.Room.EndsAt, f.Now(), loc)
		}
		return fmt.Sprintf("⌛ %s ends soon%s", name, end)
	case "cancelled":
		return fmt.Sprintf("❌ %s, %s, is cancelled", name, at)
	}
	return fmt.Sprintf("%s: %s %s", n.Type, name, n.Link)
}

func newCmdWebhooks(f *Factory) *cobra.Command {
	var hostKey string
	cmd := &cobra.Command{
		Use:               "webhooks ROOM",
		Short:             "Show a room's notifications and how their delivery went",
		Long:              "Show a room's notifications (webhooks, inboxes, email) and each one's state: delivered, pending with the next try, or dead after too many failures, with the last error.",
		Example:           "  rooms webhooks ROOM\n  rooms webhooks ROOM --json\n  rooms webhooks redeliver ROOM",
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			t, key, err := f.resolveHost(args[0], hostKey)
			if err != nil {
				return err
			}
			ds, err := t.c.Deliveries(cmd.Context(), t.id, key)
			if err != nil {
				return explain(t.c.Server(), err)
			}
			if f.json {
				return f.printJSON(ds)
			}
			if len(ds) == 0 {
				_, err := fmt.Fprintln(f.IO.Out, "No notifications for this room yet.")
				return err
			}
			tb := &table{}
			tb.row(f.IO.Dim("ID"), f.IO.Dim("EVENT"), f.IO.Dim("CHANNEL"), f.IO.Dim("TO"), f.IO.Dim("STATE"), f.IO.Dim("TRIES"), f.IO.Dim("LAST ERROR"))
			for _, d := range ds {
				state := d.State
				if d.NextTry != nil {
					state += " (next " + d.NextTry.Local().Format("15:04:05") + ")"
				}
				tb.row(fmt.Sprint(d.ID), safetext.Line(d.Type), safetext.Line(d.Channel), safetext.Line(d.Recipient), safetext.Line(state), fmt.Sprint(d.Attempts), safetext.Line(d.LastError))
			}
			return tb.write(f.IO.Out, "")
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	cmd.AddCommand(newCmdRedeliver(f))
	return cmd
}

// newCmdRedeliver is rooms webhooks redeliver ROOM [ID].
func newCmdRedeliver(f *Factory) *cobra.Command {
	var hostKey string
	cmd := &cobra.Command{
		Use:   "redeliver ROOM [ID]",
		Short: "Send a room's failed webhook deliveries again",
		Long: "Send a room's webhook deliveries again, now, with a fresh retry schedule: every dead one, or the one with ID " +
			"(as rooms webhooks ROOM lists them, in any state). Use it once a receiver that was down for longer than the retries is back.",
		Example:           "  rooms webhooks redeliver ROOM\n  rooms webhooks redeliver ROOM 42",
		ValidArgsFunction: f.completeRooms,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return &flagError{fmt.Errorf("%s needs a ROOM and at most one delivery ID, got %d arguments", cmd.CommandPath(), len(args))}
			}
			if len(args) == 2 {
				if n, err := strconv.ParseInt(args[1], 10, 64); err != nil || n <= 0 {
					return &flagError{fmt.Errorf("%q is not a delivery ID: rooms webhooks %s lists them in its first column", args[1], args[0])}
				}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var id int64
			if len(args) == 2 {
				id, _ = strconv.ParseInt(args[1], 10, 64)
			}
			t, key, err := f.resolveHost(args[0], hostKey)
			if err != nil {
				return err
			}
			n, err := t.c.Redeliver(cmd.Context(), t.id, key, id)
			if err != nil {
				return explain(t.c.Server(), err)
			}
			if f.json {
				return f.printJSON(api.RedeliverResult{Redelivered: n})
			}
			switch {
			case n == 0:
				_, err = fmt.Fprintln(f.IO.Out, "No dead webhook deliveries to send again.")
			case n == 1:
				_, err = fmt.Fprintln(f.IO.Out, "1 webhook delivery will be sent again now; rooms webhooks ROOM shows how it goes.")
			default:
				_, err = fmt.Fprintf(f.IO.Out, "%d webhook deliveries will be sent again now; rooms webhooks ROOM shows how they go.\n", n)
			}
			return err
		},
	}
	addHostKeyFlag(cmd, &hostKey)
	return cmd
}

// inboxLines is the newest few notifications of this user's handle on
// server, for the call's pre-join screen; none when there is no handle or
// the server does not answer (the call matters more).
func (f *Factory) inboxLines(ctx context.Context, server string, n int) []string {
	key, err := f.identity()
	if err != nil {
		return nil
	}
	c, err := client.New(server, client.WithKey(key), client.WithUserAgent("rooms-cli"))
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	ns, err := c.Inbox(ctx, 0)
	if err != nil {
		return nil
	}
	var out []string
	for i := len(ns) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, f.describeNotification(ns[i]))
	}
	return out
}
