package when

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fuzzZones are the zones FuzzParse reads times in: no offset, the usual
// daylight saving, a half-hour change (Lord Howe), an offset in quarter
// hours (Kathmandu), a change at midnight (Santiago) and a day that was
// skipped (Apia dropped 30 December 2011).
var fuzzZones = []string{"UTC", "Europe/Rome", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago", "Pacific/Apia"}

// fuzzNowRange bounds the fuzzed now to 1970 to 2100, the years a room is
// booked in.
const fuzzNowRange = int64(4102444800)

// FuzzParse checks, for any input, instant and zone, that Parse does not
// panic; that what it accepts is in the zone it was given, ahead of now
// (or now itself, for "now") and at most a year ahead; that it refuses
// with ErrBadTime; that it gives the same answer twice; and that a time it
// returns, written back as RFC 3339 or (for a wall time on the minute that
// only one instant has) as a date and time, reads back as the same instant.
// Its seed corpus is in testdata/fuzz/FuzzParse, besides the forms below.
func FuzzParse(f *testing.F) {
	now := time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC).Unix()
	for i, s := range append(Forms, "", "19", "25:00", "13pm", "in 30 minutes", "fri 7pm", "2026-02-30 19:00", "+-1h", "in 9999999999 hours") {
		f.Add(s, now, uint8(i))
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, name := range fuzzZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		locs[i] = loc
	}
	f.Fuzz(func(t *testing.T, in string, nowUnix int64, zone uint8) {
		loc := locs[int(zone)%len(locs)]
		secs := nowUnix % fuzzNowRange
		if secs < 0 {
			secs += fuzzNowRange
		}
		now := time.Unix(secs, 0).UTC()
		r, err := Parse(in, now, loc)
		again, err2 := Parse(in, now, loc)
		if (err == nil) != (err2 == nil) || !r.Time.Equal(again.Time) || r.Rolled != again.Rolled {
			t.Fatalf("Parse(%q) twice: %v, %v then %v, %v", in, r, err, again, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrBadTime) {
				t.Fatalf("Parse(%q) = %v, which does not wrap ErrBadTime", in, err)
			}
			if !strings.Contains(err.Error(), "accepted forms") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("Parse(%q) = %q, not one line listing the accepted forms", in, err)
			}
			return
		}
		if r.Time.Location() != loc {
			t.Fatalf("Parse(%q) in %s = %s, in %s", in, loc, r.Time, r.Time.Location())
		}
		isNow := strings.ToLower(strings.Join(strings.Fields(in), " ")) == "now"
		switch {
		case isNow && !r.Time.Equal(now):
			t.Fatalf("Parse(%q) = %s, want now (%s)", in, r.Time, now)
		case !isNow && !r.Time.After(now):
			t.Fatalf("Parse(%q) = %s, not after now (%s)", in, r.Time, now)
		case r.Time.Sub(now) > maxAhead:
			t.Fatalf("Parse(%q) = %s, more than a year after %s", in, r.Time, now)
		}
		if isNow {
			return
		}
		// RFC 3339 always reads back as the same instant.
		back, err := Parse(r.Time.Format(time.RFC3339Nano), now, loc)
		if err != nil || !back.Time.Equal(r.Time) {
			t.Fatalf("Parse(%q) = %s, whose RFC 3339 form reads back as %s, %v", in, r.Time, back.Time, err)
		}
		// A date and time reads back as the same instant when the time is
		// on the minute and the wall clock shows it only once (not in the
		// hour repeated when clocks go back).
		if r.Time.Second() != 0 || r.Time.Nanosecond() != 0 || ambiguous(r.Time) {
			return
		}
		wall := r.Time.Format("2006-01-02 15:04")
		back, err = Parse(wall, now, loc)
		if err != nil || !back.Time.Equal(r.Time) || back.Rolled {
			t.Fatalf("Parse(%q) = %s, whose wall time %q reads back as %s, %v", in, r.Time, wall, back.Time, err)
		}
	})
}

// ambiguous reports whether t's wall clock time also names another
// instant in its zone: when clocks go back, a wall time happens twice.
func ambiguous(t time.Time) bool {
	for _, d := range []time.Duration{-3 * time.Hour, -2 * time.Hour, -time.Hour, -30 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour} {
		u := t.Add(d)
		if u.Format("2006-01-02 15:04") == t.Format("2006-01-02 15:04") {
			return true
		}
	}
	return false
}
