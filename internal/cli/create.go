package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/internal/when"
	"github.com/rooms-dev/rooms/pkg/api"
)

type createOptions struct {
	name     string
	theme    string
	at       string
	tz       string
	duration time.Duration
	public   bool
	private  bool
	max      int
	screens  int
	invite   []string
	remind   string
	webhooks []string
	ics      string
	// given says which flags were on the command line: an empty --at or
	// a --max 0 is a mistake (an unset variable in a script), not a default.
	given func(name string) bool
}

func newCmdCreate(f *Factory) *cobra.Command {
	o := &createOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a room and print its link",
		Long: `Create a room and print its link. The link is the way in: whoever has it may join.

Without --at the room opens now. With --at it is booked: scheduled until then, open after.
--at reads ` + strings.Join(when.Forms, ", ") + `,
in your time zone (or --tz). A bare time that has passed today means tomorrow, and the
output says so.

Shared screens are the heaviest streams a call carries, so the server caps how many
people may share at once (10 unless its operator changed it). --max-screen-shares sets
a lower cap for this room, 1 for a talk or a demo; rooms info shows the cap in effect,
and rooms edit --max-screen-shares changes it, even during the call.

The room's host key is saved in your state directory, so lock, hide, edit and end work
from this machine without a flag.`,
		Example: `  # aperitivo at 19:00, today if that is still ahead, else tomorrow
  rooms create --theme aperitivo --at 19:00

  # a private study room for 6, open now, for two hours
  rooms create --name "Exam prep" --theme study --private --max 6 --duration 2h

  # a demo: one shared screen at a time
  rooms create --name "Demo day" --max-screen-shares 1

  # in a script: the link alone
  rooms create --at "in 30m" --json | jq -r .link`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.given = cmd.Flags().Changed
			return createRun(cmd.Context(), f, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "the room's name (default: none; shown as the theme's title)")
	fl.StringVar(&o.theme, "theme", theme.Default, "colours and emoji of the call (list: rooms themes)")
	fl.StringVar(&o.at, "at", "", "when the room opens (default: now)")
	fl.StringVar(&o.tz, "tz", "", "time zone for --at, e.g. Europe/Rome (default: your local zone)")
	fl.DurationVar(&o.duration, "duration", 0, "end the room this long after it opens, e.g. 90m (default: when the host ends it)")
	fl.BoolVar(&o.public, "public", false, "list the room in the server's directory (the default)")
	fl.BoolVar(&o.private, "private", false, "reachable by link only, not listed")
	fl.IntVar(&o.max, "max", 0, "most people in the call (default: 50, or the server's cap if lower)")
	fl.IntVar(&o.screens, "max-screen-shares", 0, "most people sharing a screen at once, 1 to the server's cap (default: the server's cap)")
	fl.StringSliceVar(&o.invite, "invite", nil, "handles on this server and email addresses to tell, comma-separated")
	fl.StringVar(&o.remind, "remind", "", "remind invitees this long before a booked room opens, or none (default 10m)")
	fl.StringSliceVar(&o.webhooks, "webhook", nil, "URL told about this room's events, signed (repeatable)")
	fl.StringVar(&o.ics, "ics", "", "also write the room's calendar file here (import it into a calendar app)")
	fl.StringVar(&f.createToken, "create-token", "", "token a roomsd that listens beyond loopback needs to create rooms (env ROOMS_CREATE_TOKEN)")
	cmd.MarkFlagsMutuallyExclusive("public", "private")
	_ = cmd.RegisterFlagCompletionFunc("theme", completeThemes)
	_ = cmd.RegisterFlagCompletionFunc("at", cobra.FixedCompletions(when.Forms, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func completeThemes(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	for _, t := range theme.All() {
		out = append(out, cobra.CompletionWithDesc(t.Name, t.Emoji+" "+t.Description))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// parseAt reads --at and --tz, returning the time (nil for now) and zone.
// given says which of the two were on the command line: given empty, each
// is refused, so an unset variable in a script (--at "$WHEN") cannot book
// a room for now or read a time in the wrong zone.
func (f *Factory) parseAt(at, tz string, given func(string) bool) (*when.Result, string, error) {
	if given("tz") && strings.TrimSpace(tz) == "" {
		return nil, "", codedUsageErr(api.CodeInvalidArgument, "--tz is empty; give an IANA zone such as Europe/Rome, or leave --tz out for your own zone")
	}
	if given("at") && strings.TrimSpace(at) == "" {
		return nil, "", codedUsageErr(api.CodeBadTime, "--at is empty; give a time (%s), or leave --at out to open the room now", strings.Join(when.Forms, ", "))
	}
	zone := tz
	if zone == "" {
		zone = f.localZone()
	}
	loc, err := when.LoadLocation(zone)
	if err != nil {
		return nil, "", codedUsageErr(api.CodeInvalidArgument, "--tz: %w", err)
	}
	if !given("at") {
		return nil, zone, nil
	}
	res, err := when.Parse(at, f.Now(), loc)
	if err != nil {
		return nil, "", codedUsageErr(api.CodeBadTime, "--at: %w", err)
	}
	return &res, zone, nil
}

func createRun(ctx context.Context, f *Factory, o *createOptions) error {
	if _, ok := theme.Lookup(o.theme); !ok {
		return codedUsageErr(api.CodeUnknownTheme, "unknown theme %q; choose one of: %s", o.theme, strings.Join(theme.Names(), ", "))
	}
	if o.given("max") && (o.max < 1 || o.max > 1000) {
		return codedUsageErr(api.CodeInvalidArgument, "--max must be between 1 and the server's cap (50 by default), not %d; leave --max out for the default", o.max)
	}
	if o.screens < 0 {
		return usageErr("--max-screen-shares must be 1 or more (or 0 for the server's cap), not %d", o.screens)
	}
	if o.duration < 0 {
		return usageErr("--duration cannot be negative")
	}
	if o.duration != 0 && o.duration < time.Minute {
		return usageErr("--duration must be at least 1m")
	}
	res, zone, err := f.parseAt(o.at, o.tz, o.given)
	if err != nil {
		return err
	}
	req := api.CreateRoomRequest{
		Name:            o.name,
		Theme:           o.theme,
		TimeZone:        zone,
		DurationSeconds: int64(o.duration / time.Second),
		Visibility:      "public",
		MaxParticipants: o.max,
		MaxScreenShares: o.screens,
	}
	if o.private {
		req.Visibility = "private"
	}
	req.Invite, req.Webhooks = o.invite, o.webhooks
	switch o.remind {
	case "":
	case "none", "0":
		zero := int64(0)
		req.RemindSeconds = &zero
	default:
		d, err := time.ParseDuration(o.remind)
		if err != nil || d < time.Second {
			return usageErr("--remind %q: give a duration like 15m or 1h, or none", o.remind)
		}
		secs := int64(d / time.Second)
		req.RemindSeconds = &secs
	}
	if res != nil {
		t := res.Time.UTC()
		req.StartsAt = &t
	}
	c, err := f.defaultClient()
	if err != nil {
		return err
	}
	r, err := c.CreateRoom(ctx, req)
	if err != nil {
		var p *api.Problem
		if errors.As(err, &p) && p.Code == api.CodeInvalidArgument && p.MaxParticipants > 0 && o.max > p.MaxParticipants {
			return codedUsageErr(api.CodeInvalidArgument, "--max %d is above this server's cap of %d", o.max, p.MaxParticipants)
		}
		if serr := screenCapErr(err, o.screens); serr != nil {
			return serr
		}
		return explain(c.Server(), err)
	}
	keys, err := f.hostKeys()
	if err == nil {
		err = keys.Add(newHostKeyEntry(c.Server(), r.Link, hostKeyEntry{Room: r.ID, HostKey: r.HostKey, Name: r.Name, CreatedAt: f.Now().UTC()}))
	}
	if err != nil {
		// The room exists; losing its key silently would strand the host.
		fmt.Fprintf(f.IO.ErrOut, "rooms: warning: the room was created but its host key could not be saved (%v).\nKeep this host key yourself: %s\n", err, safetext.Line(r.HostKey))
	}
	if o.ics != "" {
		if cal, cerr := c.Calendar(ctx, r.ID); cerr != nil {
			fmt.Fprintf(f.IO.ErrOut, "rooms: warning: the room was created but its calendar file could not be fetched: %s\n", safetext.Line(cerr.Error()))
		} else if werr := os.WriteFile(o.ics, cal, 0o644); werr != nil {
			fmt.Fprintf(f.IO.ErrOut, "rooms: warning: the room was created but %s could not be written: %v\n", o.ics, werr)
		} else if !f.json {
			fmt.Fprintf(f.IO.Out, "\nCalendar file: %s (also at %s.ics)\n", o.ics, safetext.Line(r.Link))
		}
	}
	if f.json {
		return f.printJSON(r)
	}
	loc, _ := time.LoadLocation(zone)
	f.printRoom(f.IO.Out, r, loc)
	if res != nil && res.Rolled {
		fmt.Fprintf(f.IO.Out, "\n%s had already passed today, so the room opens tomorrow.\n", strings.TrimSpace(o.at))
	}
	if len(r.Invitations) > 0 {
		fmt.Fprintln(f.IO.Out, "\nWho is told:")
		tb := &table{}
		for _, inv := range r.Invitations {
			how := safetext.Line(inv.Delivery)
			if how == "inbox" {
				how = "in their inbox (rooms inbox)"
			}
			tb.row(safetext.Line(inv.Address), how)
		}
		_ = tb.write(f.IO.Out, "  ")
		if r.RemindSeconds > 0 && r.State == "scheduled" {
			remind := time.Duration(r.RemindSeconds) * time.Second
			lead := r.StartsAt.Sub(r.CreatedAt)
			switch {
			case lead < 20*time.Second:
				fmt.Fprintln(f.IO.Out, "  (told when it opens)")
			case lead <= remind:
				fmt.Fprintf(f.IO.Out, "  (reminded at %s, halfway there, and told when it opens)\n", r.CreatedAt.Add(lead/2).In(f.localLoc()).Format("15:04:05"))
			default:
				fmt.Fprintf(f.IO.Out, "  (reminded %s before, and told when it opens)\n", humanDuration(remind))
			}
		}
	}
	switch {
	case len(r.WebhookSecrets) > 1:
		fmt.Fprintln(f.IO.Out, "\nEach webhook is signed with its own secret (shown once):")
		for _, w := range r.WebhookSecrets {
			fmt.Fprintf(f.IO.Out, "  %s  %s\n", safetext.Line(w.URL), safetext.Line(w.Secret))
		}
	case r.WebhookSecret != "":
		fmt.Fprintf(f.IO.Out, "\nWebhooks are signed with this secret (shown once): %s\n", safetext.Line(r.WebhookSecret))
	}
	if err == nil {
		fmt.Fprintf(f.IO.Out, "\nHost key saved in %s\n", keys.Path())
	}
	fmt.Fprintf(f.IO.Out, "Share the link. Lock the room once everyone is in: rooms lock %s\n", safetext.Line(r.ID))
	return nil
}

// screenCapErr says which flag was wrong when the server refused
// --max-screen-shares n for being above its cap (which only the server
// knows), or is nil when err is about something else.
func screenCapErr(err error, n int) error {
	var p *api.Problem
	if errors.As(err, &p) && p.Code == api.CodeInvalidArgument && p.MaxScreenShares > 0 && n > p.MaxScreenShares {
		return codedUsageErr(api.CodeInvalidArgument, "--max-screen-shares %d is above this server's cap of %d", n, p.MaxScreenShares)
	}
	return nil
}

// localLoc is the user's zone as a location.
func (f *Factory) localLoc() *time.Location {
	loc, err := f.displayZone("")
	if err != nil {
		return time.UTC
	}
	return loc
}
