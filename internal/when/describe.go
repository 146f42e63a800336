package when

import "time"

// Layouts name the weekday so a reader can check the date at a glance, and
// the zone so a time is never read in the wrong one.
const (
	shortLayout = "Mon 2 Jan 15:04 MST"
	longLayout  = "Mon 2 Jan 2006 15:04 MST"
)

// Describe says when t is, in loc, as seen at now: "today, Wed 25 Nov 19:00 CET", "Fri 27 Nov 19:00 CET" or "Thu 24 Dec 2026 19:00 CET".
func Describe(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC // Time.In panics on a nil location
	}
	t, now = t.In(loc), now.In(loc)
	days := calendarDays(now, t)
	layout := shortLayout
	// Without a year a date more than a week away, or in another year, could
	// be read as the wrong one.
	if days < -1 || days > 6 || t.Year() != now.Year() {
		layout = longLayout
	}
	s := t.Format(layout)
	switch days {
	case -1:
		return "yesterday, " + s
	case 0:
		return "today, " + s
	case 1:
		return "tomorrow, " + s
	}
	return s
}

// calendarDays counts midnights from from's date to to's date. It works on
// the dates in UTC so that a 23- or 25-hour DST day still counts as one.
func calendarDays(from, to time.Time) int {
	fy, fm, fd := from.Date()
	ty, tm, td := to.Date()
	a := time.Date(fy, fm, fd, 0, 0, 0, 0, time.UTC)
	b := time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a) / (24 * time.Hour))
}
