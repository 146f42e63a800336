package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/internal/when"
	"github.com/rooms-dev/rooms/pkg/api"
)

// displayZone is where times are shown: --tz when given, else the user's zone.
func (f *Factory) displayZone(tz string) (*time.Location, error) {
	if tz != "" {
		loc, err := when.LoadLocation(tz)
		if err != nil {
			return nil, codedUsageErr(api.CodeInvalidArgument, "--tz: %w", err)
		}
		return loc, nil
	}
	loc, err := time.LoadLocation(f.localZone())
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// roomTitle is the room's emoji and name, in its accent colour.
func (f *Factory) roomTitle(r api.Room) string {
	th, _ := theme.Lookup(r.Theme)
	name := safetext.Line(r.Name)
	if name == "" {
		name = th.Title + " room"
	}
	return f.IO.Paint(th.Palette.Accent, strings.TrimSpace(th.Emoji+" "+f.IO.Bold(name)))
}

// opening says when a room opens or opened, unambiguously.
func (f *Factory) opening(r api.Room, loc *time.Location) string {
	now := f.Now()
	at := when.Describe(r.StartsAt, now, loc)
	switch r.State {
	case "scheduled":
		return fmt.Sprintf("opens %s (in %s)", at, humanDuration(r.StartsAt.Sub(now)))
	case "ended":
		if r.EndedAt != nil {
			return "ended " + when.Describe(*r.EndedAt, now, loc)
		}
		return "ended"
	}
	return "open since " + at
}

// humanDuration is a rounded, readable span: "45 s", "12 min", "2 h 5 min", "3 days".
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24+0.5))
}

// printRoom writes a room's details as aligned lines; what the server
// says goes through safetext.Line.
func (f *Factory) printRoom(w io.Writer, r api.Room, loc *time.Location) {
	fmt.Fprintln(w, f.roomTitle(r))
	t := &table{}
	row := func(k, v string) { t.row(f.IO.Dim(k), v) }
	row("link", safetext.Line(r.Link))
	row("when", f.opening(r, loc))
	if r.TimeZone != "" && r.TimeZone != loc.String() {
		if rl, err := time.LoadLocation(r.TimeZone); err == nil {
			row("", fmt.Sprintf("%s in the room's zone (%s)", r.StartsAt.In(rl).Format("Mon 2 Jan 15:04 MST"), safetext.Line(r.TimeZone)))
		}
	}
	if r.EndsAt != nil && r.State != "ended" {
		row("ends", when.Describe(*r.EndsAt, f.Now(), loc))
	}
	th, _ := theme.Lookup(r.Theme)
	row("theme", fmt.Sprintf("%s %s", safetext.Line(r.Theme), th.Emoji))
	vis := "public (listed in the directory)"
	if r.Visibility == "private" {
		vis = "private (reachable by link only)"
	}
	row("visibility", vis)
	lock := "unlocked"
	if r.Locked {
		lock = "locked: newcomers knock, a host lets them in"
	}
	row("lock", lock)
	row("people", fmt.Sprintf("%d in the call, at most %d", r.Participants, r.MaxParticipants))
	// A roomsd from before rooms had a screen cap sends none: say nothing.
	if r.MaxScreenShares > 0 {
		row("screens", fmt.Sprintf("at most %d shared at once", r.MaxScreenShares))
	}
	row("state", safetext.Line(r.State))
	_ = t.write(w, "  ")
}

// printRoomTable writes rooms one per line.
func (f *Factory) printRoomTable(w io.Writer, rooms []api.Room, loc *time.Location) {
	t := &table{}
	t.row(f.IO.Dim("ROOM"), f.IO.Dim("STATE"), f.IO.Dim("PEOPLE"), f.IO.Dim("WHEN"), f.IO.Dim("LINK"))
	for _, r := range rooms {
		flags := ""
		if r.Locked {
			flags += " 🔒"
		}
		if r.Visibility == "private" {
			flags += " (private)"
		}
		t.row(f.roomTitle(r)+flags, safetext.Line(r.State), fmt.Sprintf("%d/%d", r.Participants, r.MaxParticipants), f.opening(r, loc), safetext.Line(r.Link))
	}
	_ = t.write(w, "")
}
