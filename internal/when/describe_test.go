package when

import (
	"testing"
	"time"
)

func TestDescribe(t *testing.T) {
	in := func(loc *time.Location, y int, mo time.Month, d, h, m int) time.Time {
		return time.Date(y, mo, d, h, m, 0, 0, loc)
	}
	tests := []struct {
		name string
		t    time.Time
		now  time.Time
		loc  *time.Location
		want string
	}{
		{"later today says today", in(rome, 2026, 11, 25, 19, 0), wedAfternoon, rome, "today, Wed 25 Nov 19:00 CET"},
		{"one minute to midnight is still today", in(rome, 2026, 11, 25, 23, 59), wedAfternoon, rome, "today, Wed 25 Nov 23:59 CET"},
		{"earlier today says today", in(rome, 2026, 11, 25, 9, 0), wedAfternoon, rome, "today, Wed 25 Nov 09:00 CET"},
		{"tomorrow says tomorrow", in(rome, 2026, 11, 26, 19, 0), wedAfternoon, rome, "tomorrow, Thu 26 Nov 19:00 CET"},
		{"midnight tonight is tomorrow", in(rome, 2026, 11, 26, 0, 0), wedAfternoon, rome, "tomorrow, Thu 26 Nov 00:00 CET"},
		{"twenty minutes away across midnight is tomorrow", in(rome, 2026, 11, 26, 0, 10), in(rome, 2026, 11, 25, 23, 50), rome, "tomorrow, Thu 26 Nov 00:10 CET"},
		{"almost a day away on the same date is today", in(rome, 2026, 11, 25, 23, 50), in(rome, 2026, 11, 25, 0, 10), rome, "today, Wed 25 Nov 23:50 CET"},
		{"two days ahead gives the weekday only", in(rome, 2026, 11, 27, 19, 0), wedAfternoon, rome, "Fri 27 Nov 19:00 CET"},
		{"six days ahead gives the weekday only", in(rome, 2026, 12, 1, 19, 0), wedAfternoon, rome, "Tue 1 Dec 19:00 CET"},
		{"seven days ahead adds the year", in(rome, 2026, 12, 2, 19, 0), wedAfternoon, rome, "Wed 2 Dec 2026 19:00 CET"},
		{"a month ahead adds the year", in(rome, 2026, 12, 24, 19, 0), wedAfternoon, rome, "Thu 24 Dec 2026 19:00 CET"},
		{"a summer date shows summer time", in(rome, 2027, 6, 1, 9, 0), wedAfternoon, rome, "Tue 1 Jun 2027 09:00 CEST"},
		{"yesterday says yesterday", in(rome, 2026, 11, 24, 19, 0), wedAfternoon, rome, "yesterday, Tue 24 Nov 19:00 CET"},
		{"two days ago gives the full date", in(rome, 2026, 11, 23, 19, 0), wedAfternoon, rome, "Mon 23 Nov 2026 19:00 CET"},
		{"last year gives the full date", in(rome, 2025, 11, 25, 19, 0), wedAfternoon, rome, "Tue 25 Nov 2025 19:00 CET"},
		{"a time in another zone is shown in loc", time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC), wedAfternoon, rome, "today, Wed 25 Nov 19:00 CET"},
		{"the day word follows the calendar in loc, not in now's zone", in(rome, 2026, 11, 26, 19, 0), time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC), rome, "today, Thu 26 Nov 19:00 CET"},
		{"tomorrow across DST start shows summer time", in(rome, 2026, 3, 29, 19, 0), beforeSpringForward, rome, "tomorrow, Sun 29 Mar 19:00 CEST"},
		{"24 hours across DST end is tomorrow at 19:00 winter time", beforeFallBack.Add(24 * time.Hour), beforeFallBack, rome, "tomorrow, Sun 25 Oct 19:00 CET"},
		{"UTC: tomorrow in a new year shows the year", in(time.UTC, 2027, 1, 1, 0, 15), newYearsEve, time.UTC, "tomorrow, Fri 1 Jan 2027 00:15 UTC"},
		{"UTC: two days ahead in a new year shows the year", in(time.UTC, 2027, 1, 2, 10, 0), newYearsEve, time.UTC, "Sat 2 Jan 2027 10:00 UTC"},
		{"UTC: today on New Year's Eve has no year", in(time.UTC, 2026, 12, 31, 23, 45), newYearsEve, time.UTC, "today, Thu 31 Dec 23:45 UTC"},
		{"New York: today shows Eastern time", in(newYork, 2026, 11, 25, 19, 0), nyNoon, newYork, "today, Wed 25 Nov 19:00 EST"},
		{"New York: a summer date shows EDT", in(newYork, 2027, 7, 4, 21, 0), nyNoon, newYork, "Sun 4 Jul 2027 21:00 EDT"},
		{"a nil location means UTC", in(time.UTC, 2027, 1, 1, 0, 15), newYearsEve, nil, "tomorrow, Fri 1 Jan 2027 00:15 UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Describe(tt.t, tt.now, tt.loc); got != tt.want {
				t.Errorf("Describe(%v, %v) = %q; want %q", tt.t, tt.now, got, tt.want)
			}
		})
	}
}

func TestDescribeOfAParsedTimeReadsBack(t *testing.T) {
	tests := []struct {
		in   string
		now  time.Time
		want string
	}{
		{"19:00", wedAfternoon, "today, Wed 25 Nov 19:00 CET"},
		{"19:00", wedEvening, "tomorrow, Thu 26 Nov 19:00 CET"},
		{"fri 7pm", wedAfternoon, "Fri 27 Nov 19:00 CET"},
		{"2026-12-24T18:00:00Z", wedAfternoon, "Thu 24 Dec 2026 19:00 CET"},
		{"tomorrow 19:00", beforeSpringForward, "tomorrow, Sun 29 Mar 19:00 CEST"},
	}
	for _, tt := range tests {
		r, err := Parse(tt.in, tt.now, rome)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := Describe(r.Time, tt.now, rome); got != tt.want {
			t.Errorf("Describe(Parse(%q)) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
