package when

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo
)

func zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	rome    = zone("Europe/Rome")
	newYork = zone("America/New_York")

	wedAfternoon = time.Date(2026, 11, 25, 17, 30, 0, 0, rome) // an ordinary Wednesday, CET
	wedEvening   = time.Date(2026, 11, 25, 20, 0, 0, 0, rome)
	friMorning   = time.Date(2026, 11, 27, 10, 0, 0, 0, rome)
	friNight     = time.Date(2026, 11, 27, 20, 0, 0, 0, rome)
	// Clocks go 02:00 CET -> 03:00 CEST on Sunday 2026-03-29 and
	// 03:00 CEST -> 02:00 CET on Sunday 2026-10-25.
	beforeSpringForward = time.Date(2026, 3, 28, 20, 0, 0, 0, rome)
	springForwardNight  = time.Date(2026, 3, 29, 1, 0, 0, 0, rome)
	beforeFallBack      = time.Date(2026, 10, 24, 20, 0, 0, 0, rome)
	newYearsEve         = time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)
	nyNoon              = time.Date(2026, 11, 25, 12, 0, 0, 0, newYork)
	nyBeforeSpring      = time.Date(2026, 3, 7, 20, 0, 0, 0, newYork) // DST starts 2026-03-08
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		now    time.Time
		loc    *time.Location
		want   string // RFC 3339, so the offset is checked as well as the instant
		rolled bool
	}{
		{"now is now", "now", wedAfternoon, rome, "2026-11-25T17:30:00+01:00", false},
		{"now ignores case and spaces", "  NoW ", wedAfternoon, rome, "2026-11-25T17:30:00+01:00", false},

		{"a clock time later today is today", "19:00", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"a clock time one minute ahead is today", "17:31", wedAfternoon, rome, "2026-11-25T17:31:00+01:00", false},
		{"a clock time equal to now rolls to tomorrow", "17:30", wedAfternoon, rome, "2026-11-26T17:30:00+01:00", true},
		{"a clock time earlier today rolls to tomorrow", "9:05", wedAfternoon, rome, "2026-11-26T09:05:00+01:00", true},
		{"a clock time may have a leading zero", "09:05", wedAfternoon, rome, "2026-11-26T09:05:00+01:00", true},
		{"midnight is the coming midnight", "0:00", wedAfternoon, rome, "2026-11-26T00:00:00+01:00", true},
		{"one minute to midnight is tonight", "23:59", wedAfternoon, rome, "2026-11-25T23:59:00+01:00", false},
		{"19:00 after 19:00 means tomorrow", "19:00", wedEvening, rome, "2026-11-26T19:00:00+01:00", true},
		{"21:00 after 19:00 is still tonight", "21:00", wedEvening, rome, "2026-11-25T21:00:00+01:00", false},

		{"7pm is 19:00", "7pm", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"7 pm with a space is 19:00", "7 pm", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"7PM in capitals is 19:00", "7PM", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"7:30pm is 19:30", "  7:30pm  ", wedAfternoon, rome, "2026-11-25T19:30:00+01:00", false},
		{"7:30 PM with a space is 19:30", "7:30 PM", wedAfternoon, rome, "2026-11-25T19:30:00+01:00", false},
		{"11pm is 23:00", "11pm", wedAfternoon, rome, "2026-11-25T23:00:00+01:00", false},
		{"1am is 01:00 and rolls", "1am", wedAfternoon, rome, "2026-11-26T01:00:00+01:00", true},
		{"12am is midnight", "12am", wedAfternoon, rome, "2026-11-26T00:00:00+01:00", true},
		{"12:30am is half past midnight", "12:30am", wedAfternoon, rome, "2026-11-26T00:30:00+01:00", true},
		{"12pm is noon", "12pm", wedAfternoon, rome, "2026-11-26T12:00:00+01:00", true},
		{"12pm is noon today before noon", "12pm", friMorning, rome, "2026-11-27T12:00:00+01:00", false},
		{"12:30pm is half past noon", "12:30pm", friMorning, rome, "2026-11-27T12:30:00+01:00", false},

		{"today 19:00 is today", "today 19:00", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"today takes am/pm", "Today   7 pm", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"tomorrow 19:00 is tomorrow", "tomorrow 19:00", wedAfternoon, rome, "2026-11-26T19:00:00+01:00", false},
		{"tomorrow 7pm is tomorrow", "TOMORROW 7PM", wedAfternoon, rome, "2026-11-26T19:00:00+01:00", false},
		{"tomorrow 12am is the midnight after tomorrow begins", "tomorrow 12am", wedAfternoon, rome, "2026-11-26T00:00:00+01:00", false},

		{"wed 19:00 on a Wednesday afternoon is today", "wed 19:00", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"wednesday 17:00 on a Wednesday afternoon is next week", "wednesday 17:00", wedAfternoon, rome, "2026-12-02T17:00:00+01:00", false},
		{"thu 19:00 on a Wednesday is tomorrow", "thu 19:00", wedAfternoon, rome, "2026-11-26T19:00:00+01:00", false},
		{"fri 19:00 on a Wednesday is this Friday", "fri 19:00", wedAfternoon, rome, "2026-11-27T19:00:00+01:00", false},
		{"friday 7pm on a Wednesday is this Friday", "friday 7pm", wedAfternoon, rome, "2026-11-27T19:00:00+01:00", false},
		{"sat 10am is this Saturday", "Sat 10am", wedAfternoon, rome, "2026-11-28T10:00:00+01:00", false},
		{"sunday 10:00 is this Sunday", "sunday 10:00", wedAfternoon, rome, "2026-11-29T10:00:00+01:00", false},
		{"mon 9:00 is next Monday", "mon 9:00", wedAfternoon, rome, "2026-11-30T09:00:00+01:00", false},
		{"tuesday 19:00 is six days on", "tuesday 19:00", wedAfternoon, rome, "2026-12-01T19:00:00+01:00", false},
		{"fri 19:00 on a Friday morning is today", "fri 19:00", friMorning, rome, "2026-11-27T19:00:00+01:00", false},
		{"fri 19:00 on a Friday night is next Friday", "fri 19:00", friNight, rome, "2026-12-04T19:00:00+01:00", false},

		{"a date and a clock time", "2026-12-24 19:00", wedAfternoon, rome, "2026-12-24T19:00:00+01:00", false},
		{"a date and am/pm", "2026-12-24 7pm", wedAfternoon, rome, "2026-12-24T19:00:00+01:00", false},
		{"a summer date takes the summer offset", "2027-06-01 9:00", wedAfternoon, rome, "2027-06-01T09:00:00+02:00", false},
		{"a date almost a year ahead is accepted", "2027-11-25 17:00", wedAfternoon, rome, "2027-11-25T17:00:00+01:00", false},

		{"RFC 3339 with the zone's own offset", "2026-12-24T19:00:00+01:00", wedAfternoon, rome, "2026-12-24T19:00:00+01:00", false},
		{"RFC 3339 in UTC is converted to loc", "2026-12-24T18:00:00Z", wedAfternoon, rome, "2026-12-24T19:00:00+01:00", false},
		{"RFC 3339 in lower case", "2026-12-24t18:00:00z", wedAfternoon, rome, "2026-12-24T19:00:00+01:00", false},
		{"RFC 3339 offset wins over loc", "2026-12-24T13:00:00-05:00", wedAfternoon, rome, "2026-12-24T19:00:00+01:00", false},

		{"+90s is ninety seconds on", "+90s", wedAfternoon, rome, "2026-11-25T17:31:30+01:00", false},
		{"+2h is two hours on", "+2h", wedAfternoon, rome, "2026-11-25T19:30:00+01:00", false},
		{"+1h30m is Go duration syntax", "+1h30m", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"+ with a space before the duration", "+ 90s", wedAfternoon, rome, "2026-11-25T17:31:30+01:00", false},
		{"in 30m is half an hour on", "in 30m", wedAfternoon, rome, "2026-11-25T18:00:00+01:00", false},
		{"in 2h is two hours on", "In 2H", wedAfternoon, rome, "2026-11-25T19:30:00+01:00", false},
		{"in 1h 30m may have spaces", "in 1h 30m", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"in 30 minutes", "in 30 minutes", wedAfternoon, rome, "2026-11-25T18:00:00+01:00", false},
		{"in 1 minute", "in 1 minute", wedAfternoon, rome, "2026-11-25T17:31:00+01:00", false},
		{"in 10 min", "in 10 min", wedAfternoon, rome, "2026-11-25T17:40:00+01:00", false},
		{"in 5 mins", "in 5 mins", wedAfternoon, rome, "2026-11-25T17:35:00+01:00", false},
		{"in 2 hours", "in 2 hours", wedAfternoon, rome, "2026-11-25T19:30:00+01:00", false},
		{"in 1 hour", "in 1 hour", wedAfternoon, rome, "2026-11-25T18:30:00+01:00", false},
		{"in 45 seconds", "in 45 seconds", wedAfternoon, rome, "2026-11-25T17:30:45+01:00", false},
		{"in 1 second", "in 1 second", wedAfternoon, rome, "2026-11-25T17:30:01+01:00", false},
		{"in 90 secs", "in 90 secs", wedAfternoon, rome, "2026-11-25T17:31:30+01:00", false},
		{"in 1 sec", "in 1 sec", wedAfternoon, rome, "2026-11-25T17:30:01+01:00", false},
		{"in 1 hour 30 minutes adds both", "in 1 hour 30 minutes", wedAfternoon, rome, "2026-11-25T19:00:00+01:00", false},
		{"+30 min mixes + with a word", "+30 min", wedAfternoon, rome, "2026-11-25T18:00:00+01:00", false},
		{"exactly 366 days ahead is accepted", "+8784h", wedAfternoon, rome, "2027-11-26T17:30:00+01:00", false},

		// DST start: Europe/Rome skips 02:00-03:00 on 2026-03-29.
		{"tomorrow 19:00 across DST start is 19:00 summer time", "tomorrow 19:00", beforeSpringForward, rome, "2026-03-29T19:00:00+02:00", false},
		{"a rolled 19:00 across DST start is 19:00 summer time", "19:00", beforeSpringForward, rome, "2026-03-29T19:00:00+02:00", true},
		{"sun 19:00 across DST start is 19:00 summer time", "sun 19:00", beforeSpringForward, rome, "2026-03-29T19:00:00+02:00", false},
		{"+24h across DST start is 24 elapsed hours", "+24h", beforeSpringForward, rome, "2026-03-29T21:00:00+02:00", false},
		{"a skipped 02:30 is normalised by time.Date to 03:30", "tomorrow 2:30", beforeSpringForward, rome, "2026-03-29T03:30:00+02:00", false},
		{"a skipped 02:30 later tonight is 03:30", "2:30", springForwardNight, rome, "2026-03-29T03:30:00+02:00", false},
		{"+2h through the gap is two elapsed hours", "+2h", springForwardNight, rome, "2026-03-29T04:00:00+02:00", false},

		// DST end: Europe/Rome repeats 02:00-03:00 on 2026-10-25.
		{"tomorrow 19:00 across DST end is 19:00 winter time", "tomorrow 19:00", beforeFallBack, rome, "2026-10-25T19:00:00+01:00", false},
		{"a rolled 19:00 across DST end is 19:00 winter time", "19:00", beforeFallBack, rome, "2026-10-25T19:00:00+01:00", true},
		{"+24h across DST end is 24 elapsed hours, 19:00 on the wall", "+24h", beforeFallBack, rome, "2026-10-25T19:00:00+01:00", false},
		{"a repeated 02:30 is the one time.Date picks, in winter time", "tomorrow 2:30", beforeFallBack, rome, "2026-10-25T02:30:00+01:00", false},

		{"UTC: a clock time after midnight rolls into the new year", "00:15", newYearsEve, time.UTC, "2027-01-01T00:15:00Z", true},
		{"UTC: thu 23:45 on a Thursday night is tonight", "thu 23:45", newYearsEve, time.UTC, "2026-12-31T23:45:00Z", false},
		{"UTC: fri 9am is New Year's Day", "fri 9am", newYearsEve, time.UTC, "2027-01-01T09:00:00Z", false},
		{"UTC: tomorrow 12pm is noon next year", "tomorrow 12pm", newYearsEve, time.UTC, "2027-01-01T12:00:00Z", false},
		{"UTC: RFC 3339 with an offset is shown in UTC", "2027-01-01T01:00:00+01:00", newYearsEve, time.UTC, "2027-01-01T00:00:00Z", false},

		{"New York: 7pm is 19:00 Eastern", "7pm", nyNoon, newYork, "2026-11-25T19:00:00-05:00", false},
		{"New York: an RFC 3339 time from Rome is converted", "2026-12-24T19:00:00+01:00", nyNoon, newYork, "2026-12-24T13:00:00-05:00", false},
		{"New York: tomorrow 19:00 across DST start is 19:00 EDT", "tomorrow 19:00", nyBeforeSpring, newYork, "2026-03-08T19:00:00-04:00", false},
		{"New York: +24h across DST start is 24 elapsed hours", "+24h", nyBeforeSpring, newYork, "2026-03-08T21:00:00-04:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in, tt.now, tt.loc)
			if err != nil {
				t.Fatalf("Parse(%q) failed: %v", tt.in, err)
			}
			if s := got.Time.Format(time.RFC3339); s != tt.want || got.Rolled != tt.rolled {
				t.Errorf("Parse(%q) = %s rolled=%v; want %s rolled=%v", tt.in, s, got.Rolled, tt.want, tt.rolled)
			}
			if got.Time.Location() != tt.loc {
				t.Errorf("Parse(%q) is in %v; want %v", tt.in, got.Time.Location(), tt.loc)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
		why  string // a fragment the message must contain
	}{
		{"an empty string is rejected", "", "empty"},
		{"blank space is rejected", "   ", "empty"},
		{"a bare hour is ambiguous", "19", "bare number is ambiguous"},
		{"a bare small number is ambiguous", "7", "bare number is ambiguous"},
		{"four digits are ambiguous", "1900", "bare number is ambiguous"},
		{"hour 25 does not exist", "25:00", "hour must be 0-23"},
		{"hour 24 does not exist", "24:00", "hour must be 0-23"},
		{"minute 60 does not exist", "19:60", "minutes must be 00-59"},
		{"a one-digit minute is rejected", "19:5", "two digits"},
		{"a three-digit minute is rejected", "19:005", "two digits"},
		{"a three-digit hour is rejected", "019:00", "not a time"},
		{"13pm does not exist", "13pm", "1-12 with am/pm"},
		{"0am does not exist", "0am", "1-12 with am/pm"},
		{"0pm does not exist", "0pm", "1-12 with am/pm"},
		{"12:60pm does not exist", "12:60pm", "minutes must be 00-59"},
		{"a signed hour is rejected", "-5:00", "not a time"},
		{"garbage is rejected", "garbage", "not a time"},
		{"several words are rejected", "1 2 3", "not a time"},
		{"a lone pm is rejected", "pm", "not a time"},
		{"a day word alone needs a time", "tomorrow", "needs a time"},
		{"today alone needs a time", "today", "needs a time"},
		{"a weekday alone needs a time", "fri", "needs a time"},
		{"a date alone needs a time", "2026-12-24", "needs a time"},
		{"a date that does not exist is rejected", "2026-02-30 19:00", "not a date"},
		{"month 13 is rejected", "2026-13-01 19:00", "not a date"},
		{"a clock time before the day is rejected", "19:00 tomorrow", "put the day before the time, as in tomorrow 19:00"},
		{"next fri is not a form", "next fri 19:00", "not a time"},
		{"an unknown day word is rejected", "friyay 19:00", "not a day"},
		{"a valid day with a bad time is rejected", "tomorrow 25:00", "hour must be 0-23"},
		{"today at an earlier time is past", "today 17:00", "is in the past"},
		{"today at exactly now is past", "today 17:30", "is in the past"},
		{"a past date is past", "2026-11-24 19:00", "Tue 24 Nov 2026 19:00 CET is in the past"},
		{"a past RFC 3339 time is past", "2026-11-25T16:00:00Z", "is in the past"},
		{"RFC 3339 without an offset is rejected", "2026-12-24T19:00:00", "RFC 3339"},
		{"RFC 3339 with hour 25 is rejected", "2026-12-24T25:00:00+01:00", "RFC 3339"},
		{"a date more than a year ahead is too far", "2027-11-26 19:00", "too far ahead; at most a year"},
		{"an RFC 3339 time years ahead is too far", "2030-01-01T00:00:00Z", "too far ahead; at most a year"},
		{"366 days and a second is too far", "+8784h1s", "too far ahead; at most a year"},
		{"a huge spelled duration is too far", "in 99999999999999999999 hours", "too far ahead; at most a year"},
		{"a huge spelled hour count is too far", "in 9223372036854775807 hours", "too far ahead; at most a year"},
		{"a zero duration is rejected", "+0s", "more than zero"},
		{"a negative duration is rejected", "+-5m", "more than zero"},
		{"in a negative duration is rejected", "in -2h", "more than zero"},
		{"a number without a unit is rejected", "in 5", "not a duration"},
		{"in alone is rejected", "in", "not a time"},
		{"+ alone is rejected", "+", "not a duration"},
		{"in soon is rejected", "in soon", "not a duration"},
		{"an unknown unit is rejected", "in 30 parsecs", "not a duration"},
		{"days are not a unit", "in 2 days", "not a duration"},
		{"years are not Go duration syntax", "+1y", "not a duration"},
	}
	forms := "; accepted forms: " + strings.Join(Forms, ", ")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in, wedAfternoon, rome)
			if err == nil {
				t.Fatalf("Parse(%q) = %v; want an error", tt.in, got.Time)
			}
			if !errors.Is(err, ErrBadTime) {
				t.Errorf("Parse(%q) error does not wrap ErrBadTime: %v", tt.in, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, strconv.Quote(tt.in)+": ") {
				t.Errorf("message does not start with the quoted input: %s", msg)
			}
			if !strings.Contains(msg, tt.why) {
				t.Errorf("message does not say %q: %s", tt.why, msg)
			}
			if !strings.HasSuffix(msg, forms) {
				t.Errorf("message does not end with the accepted forms: %s", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message is more than one line: %q", msg)
			}
			if got != (Result{}) {
				t.Errorf("a failed Parse returned a non-zero Result: %+v", got)
			}
		})
	}
}

func TestEveryAdvertisedFormIsAccepted(t *testing.T) {
	for _, f := range Forms {
		if _, err := Parse(f, wedAfternoon, rome); err != nil {
			t.Errorf("Forms lists %q but Parse rejects it: %v", f, err)
		}
	}
}

func TestParseReadsANowFromAnotherZoneInLoc(t *testing.T) {
	// 23:30 UTC on the 25th is already the 26th in Rome, so "today" is the 26th.
	now := time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)
	got, err := Parse("today 19:00", now, rome)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2026-11-26T19:00:00+01:00"; got.Time.Format(time.RFC3339) != want {
		t.Errorf("got %s; want %s", got.Time.Format(time.RFC3339), want)
	}
}

func TestParseTreatsANilLocationAsUTC(t *testing.T) {
	got, err := Parse("tomorrow 9:00", newYearsEve, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2027-01-01T09:00:00Z"; got.Time.Format(time.RFC3339) != want {
		t.Errorf("got %s; want %s", got.Time.Format(time.RFC3339), want)
	}
}

func TestLoadLocation(t *testing.T) {
	for _, name := range []string{"Europe/Rome", "UTC", "America/New_York"} {
		loc, err := LoadLocation(name)
		if err != nil || loc.String() != name {
			t.Errorf("LoadLocation(%q) = %v, %v; want the zone", name, loc, err)
		}
	}
	_, err := LoadLocation("Mars/Olympus_Mons")
	if err == nil {
		t.Fatal("LoadLocation of an unknown zone succeeded")
	}
	for _, want := range []string{`"Mars/Olympus_Mons"`, `"Europe/Rome"`, `"UTC"`, `"America/New_York"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if errors.Unwrap(err) == nil {
		t.Errorf("error does not wrap time.LoadLocation's: %v", err)
	}
}
