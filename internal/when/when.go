// Package when reads the time given to `rooms create --at` and describes
// times back without ambiguity. It never reads the clock: now and the
// location are always parameters, so every rule is a table test.
package when

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Forms is the list of accepted forms, one example each, for error and help texts.
var Forms = []string{"19:00", "7pm", "7:30pm", "tomorrow 19:00", "fri 19:00", "2026-12-24 19:00", "2026-12-24T19:00:00+01:00", "+90s", "+2h", "in 30m", "now"}

// ErrBadTime is wrapped by every error Parse returns, so callers can use errors.Is.
var ErrBadTime = errors.New("bad time")

// maxAhead matches room.MaxScheduleAge; it is repeated rather than imported so
// that a text parser does not depend on the room rules.
const maxAhead = 366 * 24 * time.Hour

// Result is a parsed time and how it was understood.
type Result struct {
	Time time.Time // in loc
	// Rolled is true when a bare clock time ("19:00") had already passed today and so means tomorrow.
	Rolled bool
}

// parseError keeps the user's own spelling of the input, so the message
// points at what they typed rather than at our normalised form.
type parseError struct {
	input  string
	reason string
}

func (e *parseError) Error() string {
	return fmt.Sprintf("%q: %s; accepted forms: %s", e.input, e.reason, strings.Join(Forms, ", "))
}

func (e *parseError) Unwrap() error { return ErrBadTime }

// Parse turns s into a time, read in loc, relative to now.
func Parse(s string, now time.Time, loc *time.Location) (Result, error) {
	if loc == nil {
		loc = time.UTC // time.Date panics on a nil location
	}
	now = now.In(loc)
	in := strings.ToLower(strings.Join(strings.Fields(s), " "))
	r, err := parse(in, now, loc)
	if err == nil && in != "now" {
		switch {
		case !r.Time.After(now):
			err = fmt.Errorf("%s is in the past", r.Time.Format(longLayout))
		case r.Time.Sub(now) > maxAhead:
			err = fmt.Errorf("%s is too far ahead; at most a year", r.Time.Format(longLayout))
		}
	}
	if err != nil {
		return Result{}, &parseError{input: s, reason: err.Error()}
	}
	return r, nil
}

// LoadLocation wraps time.LoadLocation with an error that says what zones look like ("Europe/Rome", "UTC", "America/New_York").
func LoadLocation(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time's own message ("unknown time zone X") does not say what a
		// valid name looks like, which is what the user needs next.
		return nil, fmt.Errorf("time zone %q: want an IANA name such as \"Europe/Rome\", \"UTC\" or \"America/New_York\": %w", name, err)
	}
	return loc, nil
}

var (
	dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	// One "<number> <unit>" pair of a spelled-out duration like "1 hour 30 minutes".
	amountRE = regexp.MustCompile(`^(\d+) ?([a-z]+)`)
)

func parse(in string, now time.Time, loc *time.Location) (Result, error) {
	if in == "" {
		return Result{}, errors.New("is empty")
	}
	if in == "now" {
		return Result{Time: now}, nil
	}
	if rest, ok := strings.CutPrefix(in, "+"); ok {
		return relative(rest, now)
	}
	if rest, ok := strings.CutPrefix(in, "in "); ok {
		return relative(rest, now)
	}
	if len(in) > 10 && in[10] == 't' && dateRE.MatchString(in[:10]) {
		// RFC 3339 wants an upper-case T and Z; we lower-cased everything.
		t, err := time.Parse(time.RFC3339, strings.ToUpper(in))
		if err != nil {
			return Result{}, errors.New("is not a valid RFC 3339 time like 2026-12-24T19:00:00+01:00")
		}
		return Result{Time: t.In(loc)}, nil
	}

	words := strings.Split(in, " ")
	// "7 pm" is the same as "7pm".
	if n := len(words); n >= 2 && (words[n-1] == "am" || words[n-1] == "pm") {
		words = append(words[:n-2], words[n-2]+words[n-1])
	}
	switch len(words) {
	case 1:
		if dateRE.MatchString(words[0]) {
			return Result{}, errors.New("a date needs a time too, as in 2026-12-24 19:00")
		}
		if _, ok := dayWord(words[0]); ok {
			return Result{}, fmt.Errorf("a day needs a time too, as in %s 19:00", words[0])
		}
		h, m, err := clock(words[0])
		if err != nil {
			return Result{}, err
		}
		y, mo, d := now.Date()
		t := time.Date(y, mo, d, h, m, 0, 0, loc)
		if t.After(now) {
			return Result{Time: t}, nil
		}
		// Calendar arithmetic, not Add(24h), so a DST change keeps the wall clock.
		return Result{Time: time.Date(y, mo, d+1, h, m, 0, 0, loc), Rolled: true}, nil
	case 2:
		if !isDay(words[0]) {
			if isDay(words[1]) {
				return Result{}, fmt.Errorf("put the day before the time, as in %s %s", words[1], words[0])
			}
			return Result{}, fmt.Errorf("%s is not a day; use today, tomorrow, a weekday or a date like 2026-12-24", words[0])
		}
		h, m, err := clock(words[1])
		if err != nil {
			return Result{}, err
		}
		t, err := onDay(words[0], h, m, now, loc)
		return Result{Time: t}, err
	}
	return Result{}, errors.New("is not a time I understand")
}

// relative reads what follows "+" or "in ": Go duration syntax, or numbers
// with spelled-out units.
func relative(s string, now time.Time) (Result, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		if d, err = spelledDuration(s); err != nil {
			return Result{}, err
		}
	}
	if d <= 0 {
		return Result{}, errors.New("a duration must be more than zero")
	}
	if d > maxAhead {
		return Result{}, errors.New("is too far ahead; at most a year")
	}
	return Result{Time: now.Add(d)}, nil
}

var units = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
}

func spelledDuration(s string) (time.Duration, error) {
	bad := errors.New("is not a duration like +90s, +1h30m, in 30 minutes or in 2 hours")
	if s == "" {
		return 0, bad
	}
	var total time.Duration
	for s != "" {
		m := amountRE.FindStringSubmatch(s)
		if m == nil {
			return 0, bad
		}
		unit, ok := units[m[2]]
		if !ok {
			return 0, bad
		}
		n, err := strconv.ParseInt(m[1], 10, 64)
		// Bounding n first keeps n*unit (and the sum) from overflowing.
		if err != nil || n > int64(maxAhead/unit) {
			return 0, errors.New("is too far ahead; at most a year")
		}
		total += time.Duration(n) * unit
		s = strings.TrimSpace(s[len(m[0]):])
	}
	return total, nil
}

// clock reads "19:00", "9:05", "7pm", "7:30pm", "12am".
func clock(s string) (hour, minute int, err error) {
	body, suffix := s, ""
	for _, sfx := range []string{"am", "pm"} {
		if b, ok := strings.CutSuffix(s, sfx); ok {
			body, suffix = b, sfx
		}
	}
	hs, ms, hasMinutes := strings.Cut(body, ":")
	if suffix == "" && !hasMinutes && digits(hs, 1, len(hs)) {
		return 0, 0, errors.New("a bare number is ambiguous; write 19:00 or 7pm")
	}
	if !digits(hs, 1, 2) {
		return 0, 0, errors.New("is not a time I understand")
	}
	hour, _ = strconv.Atoi(hs)
	if hasMinutes {
		if !digits(ms, 2, 2) {
			return 0, 0, errors.New("minutes must be two digits, 00-59")
		}
		minute, _ = strconv.Atoi(ms)
		if minute > 59 {
			return 0, 0, errors.New("minutes must be 00-59")
		}
	}
	if suffix == "" {
		if hour > 23 {
			return 0, 0, errors.New("hour must be 0-23")
		}
		return hour, minute, nil
	}
	if hour < 1 || hour > 12 {
		return 0, 0, errors.New("hour must be 1-12 with am/pm")
	}
	hour %= 12 // 12am is midnight, 12pm is noon
	if suffix == "pm" {
		hour += 12
	}
	return hour, minute, nil
}

func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// onDay resolves "<day> <clock>" where day is today, tomorrow, a weekday or a date.
func onDay(day string, h, m int, now time.Time, loc *time.Location) (time.Time, error) {
	y, mo, d := now.Date()
	if dateRE.MatchString(day) {
		date, err := time.Parse("2006-01-02", day)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s is not a date on the calendar", day)
		}
		y, mo, d = date.Date()
		return time.Date(y, mo, d, h, m, 0, 0, loc), nil
	}
	wd, _ := dayWord(day)
	switch day {
	case "today":
		return time.Date(y, mo, d, h, m, 0, 0, loc), nil // Parse rejects it if past
	case "tomorrow":
		return time.Date(y, mo, d+1, h, m, 0, 0, loc), nil
	}
	// A weekday means its first occurrence after now, which is today when
	// today is that day and the time is still ahead, else up to a week on.
	// The weekday is taken from the calendar date, in UTC, because in zones
	// that skip midnight time.Date may normalise into the previous day.
	for i := 0; i <= 7; i++ {
		t := time.Date(y, mo, d+i, h, m, 0, 0, loc)
		if time.Date(y, mo, d+i, 12, 0, 0, 0, time.UTC).Weekday() == wd && t.After(now) {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("found no %s after now", day)
}

func isDay(s string) bool {
	_, ok := dayWord(s)
	return ok || dateRE.MatchString(s)
}

// dayWord reports whether s names a day; wd is meaningful only for weekdays.
func dayWord(s string) (wd time.Weekday, ok bool) {
	if s == "today" || s == "tomorrow" {
		return 0, true
	}
	for w := time.Sunday; w <= time.Saturday; w++ {
		name := strings.ToLower(w.String())
		if s == name || s == name[:3] {
			return w, true
		}
	}
	return 0, false
}
