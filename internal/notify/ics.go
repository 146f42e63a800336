package notify

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is what a calendar entry for a room says.
type Event struct {
	UID         string        // stable per room, e.g. "<room id>@<host>"; required
	Sequence    int           // bumps on every reschedule; a CANCEL is written with Sequence+1
	Start       time.Time     // the instant (any zone; written in TZ below); required
	Duration    time.Duration // 0 means one hour shown in the calendar
	TZ          string        // IANA zone of the creator, e.g. "Europe/Rome"; "" means UTC
	Summary     string        // "🍹 Aperitivo" etc. (UTF-8)
	Description string        // includes the link
	URL         string        // the room link
	Organizer   string        // optional display name, e.g. "rooms"; ORGANIZER is omitted if empty and OrganizerEmail is too
	// OrganizerEmail is the organizer's address (roomsd's sender); when set,
	// ORGANIZER is mailto: it, as iTIP (RFC 5546) wants in a REQUEST or CANCEL.
	OrganizerEmail string
	// Attendee, an email address, makes the file an iTIP REQUEST to that
	// attendee (a CANCEL when Cancelled) instead of a PUBLISH.
	Attendee  string
	Cancelled bool      // METHOD:CANCEL / STATUS:CANCELLED
	Stamp     time.Time // DTSTAMP (written in UTC); zero means now
}

// Method is the iTIP method the calendar file of e carries: CANCEL for a
// cancellation, REQUEST for an invitation to an attendee, PUBLISH for a
// file anyone may import. An email's text/calendar part says the same
// (RFC 6047 §2.4), so both are read from here.
func (e Event) Method() string {
	switch {
	case e.Cancelled:
		return "CANCEL"
	case e.Attendee != "":
		return "REQUEST"
	}
	return "PUBLISH"
}

// Sequence is a calendar entry's SEQUENCE for a room created at created
// and last changed at changed: whole seconds between the two, so every
// later change (a move, a cancellation) outranks what was sent before it.
// The .ics download and emails both use it.
func Sequence(created, changed time.Time) int {
	if !changed.After(created) {
		return 0
	}
	return int(changed.Sub(created) / time.Second)
}

// icsProdID names this program in every calendar file.
const icsProdID = "-//rooms//rooms//EN"

// icsDefaultDuration is how long an event without a Duration is shown.
const icsDefaultDuration = time.Hour

// icsMaxLine is the longest content line RFC 5545 §3.1 allows, in octets,
// not counting the CRLF.
const icsMaxLine = 75

// ICS renders e as an RFC 5545 VCALENDAR holding one VEVENT, with the METHOD
// e.Method says (and STATUS:CANCELLED when e.Cancelled, written with
// SEQUENCE e.Sequence+1 because iTIP wants a cancellation to outrank the last
// update). A VTIMEZONE for e.TZ is generated from Go's tz data so that
// DTSTART;TZID=... means the same instant to every client, on either side of a
// DST change. Lines end in CRLF and are folded at 75 octets.
//
// An e.TZ that Go does not know is an error, as are a missing UID or Start, a
// negative Duration or Sequence, and an Organizer without a URL (ORGANIZER
// needs an address: the room link is used).
func ICS(e Event) ([]byte, error) {
	if e.UID == "" {
		return nil, errors.New("notify: ics: event has no UID")
	}
	if e.Start.IsZero() {
		return nil, errors.New("notify: ics: event has no start time")
	}
	if e.Duration < 0 {
		return nil, fmt.Errorf("notify: ics: negative duration %v", e.Duration)
	}
	if e.Sequence < 0 {
		return nil, fmt.Errorf("notify: ics: negative sequence %d", e.Sequence)
	}
	if err := icsCheckURI(e.URL); err != nil {
		return nil, err
	}
	if e.Organizer != "" && e.URL == "" && e.OrganizerEmail == "" {
		return nil, errors.New("notify: ics: an organizer needs the room URL as its address")
	}
	for _, a := range []string{e.OrganizerEmail, e.Attendee} {
		if a != "" && (!strings.Contains(a, "@") || strings.ContainsAny(a, " <>\r\n\"")) {
			return nil, fmt.Errorf("notify: ics: %q is not an email address", a)
		}
	}
	if e.Attendee != "" && e.OrganizerEmail == "" {
		return nil, errors.New("notify: ics: a request to an attendee needs the organizer's address")
	}
	tzid := e.TZ
	if tzid == "" {
		tzid = "UTC"
	}
	loc, err := icsLoadLocation(tzid)
	if err != nil {
		return nil, err
	}
	stamp := e.Stamp
	if stamp.IsZero() {
		stamp = time.Now()
	}
	d := e.Duration
	if d == 0 {
		d = icsDefaultDuration
	}
	// Calendars count in whole seconds; truncating both ends keeps DTEND-DTSTART
	// equal to the duration for any Start.
	start := e.Start.Truncate(time.Second).In(loc)
	end := start.Add(d.Truncate(time.Second)).In(loc)
	if end.Equal(start) {
		end = start.Add(time.Second)
	}

	method, status, seq := e.Method(), "CONFIRMED", e.Sequence
	if e.Cancelled {
		status, seq = "CANCELLED", e.Sequence+1
	}

	var w icsWriter
	w.line("BEGIN:VCALENDAR")
	w.line("VERSION:2.0")
	w.line("PRODID:" + icsProdID)
	w.line("CALSCALE:GREGORIAN")
	w.line("METHOD:" + method)
	icsWriteVTimezone(&w, tzid, loc, start, end)
	w.line("BEGIN:VEVENT")
	w.line("UID:" + icsEscapeText(e.UID))
	w.line("SEQUENCE:" + strconv.Itoa(seq))
	w.line("DTSTAMP:" + stamp.UTC().Format(icsUTCLayout))
	w.line(icsDateTime("DTSTART", tzid, start))
	w.line(icsDateTime("DTEND", tzid, end))
	if e.Summary != "" {
		w.line("SUMMARY:" + icsEscapeText(e.Summary))
	}
	if e.Description != "" {
		w.line("DESCRIPTION:" + icsEscapeText(e.Description))
	}
	if e.URL != "" {
		w.line("URL:" + e.URL)
	}
	switch {
	case e.OrganizerEmail != "":
		cn := e.Organizer
		if cn == "" {
			cn = "rooms"
		}
		w.line("ORGANIZER;CN=" + icsQuoteParam(cn) + ":mailto:" + e.OrganizerEmail)
	case e.Organizer != "":
		w.line("ORGANIZER;CN=" + icsQuoteParam(e.Organizer) + ":" + e.URL)
	}
	if e.Attendee != "" {
		// RSVP=FALSE: roomsd reads no replies.
		w.line("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:" + e.Attendee)
	}
	w.line("STATUS:" + status)
	w.line("TRANSP:OPAQUE")
	w.line("END:VEVENT")
	w.line("END:VCALENDAR")
	return w.buf.Bytes(), nil
}

const (
	icsLocalLayout = "20060102T150405"  // DATE-TIME form #3 (with TZID) and VTIMEZONE onsets
	icsUTCLayout   = "20060102T150405Z" // DATE-TIME form #2
)

// icsLoadLocation loads an IANA zone, refusing names that could not be
// written as a bare TZID parameter and Go's "Local", which is not a zone
// anyone else can look up.
func icsLoadLocation(name string) (*time.Location, error) {
	for _, r := range name {
		ok := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' ||
			r == '/' || r == '_' || r == '-' || r == '+'
		if !ok {
			return nil, fmt.Errorf("notify: ics: unknown time zone %q", name)
		}
	}
	if name == "Local" {
		return nil, fmt.Errorf("notify: ics: unknown time zone %q (want an IANA name such as Europe/Rome)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("notify: ics: unknown time zone %q: %w", name, err)
	}
	return loc, nil
}

// icsDateTime writes a DTSTART or DTEND for t in its zone tzid. The local form
// with TZID is used unless t's wall clock reading also happened earlier, in
// the hour repeated when clocks go back: RFC 5545 §3.3.5 says such a reading
// means its first occurrence, so the second one is written in UTC instead.
func icsDateTime(prop, tzid string, t time.Time) string {
	if icsWallRepeatsEarlier(t) {
		return prop + ":" + t.UTC().Format(icsUTCLayout)
	}
	return prop + ";TZID=" + tzid + ":" + t.Format(icsLocalLayout)
}

// icsWallRepeatsEarlier reports whether t's wall clock reading in its own
// location was also shown at an earlier instant, under the offset in force
// before clocks last went back.
func icsWallRepeatsEarlier(t time.Time) bool {
	_, off := t.Zone()
	// Changes are more than a week apart (see icsStep), so a day back is
	// before the last one that could matter.
	_, prevOff := t.Add(-24 * time.Hour).Zone()
	if prevOff <= off {
		return false // clocks did not go back: nothing repeats
	}
	earlier := t.Add(-time.Duration(prevOff-off) * time.Second)
	_, earlierOff := earlier.Zone()
	return earlierOff == prevOff
}

// icsObservance is one STANDARD or DAYLIGHT component of a VTIMEZONE.
type icsObservance struct {
	at       time.Time // the instant it begins
	daylight bool
	from, to int // UTC offsets in seconds before and after at
	name     string
}

// icsStep is how far apart icsTransitions looks at the zone before
// bisecting. No zone in the tz database has changed clocks, or will by its
// current rules, twice less than a week apart since 1975 (the closest are
// about 7 days), so a day cannot hide a change and its reversal.
const icsStep = 24 * time.Hour

// icsZoneState is what a VTIMEZONE observance says about a period.
type icsZoneState struct {
	name   string
	offset int
	dst    bool
}

func icsStateAt(t time.Time) icsZoneState {
	name, off := t.Zone()
	return icsZoneState{name, off, t.IsDST()}
}

// icsTransitions finds every change of offset, abbreviation or DST flag in
// loc after from and before until, by looking a day apart and bisecting to the
// second where the state differs. (Time.ZoneBounds would be quicker, but past
// the last transition listed in a zone file Go computes its bounds from the
// rule string and may report a year end a day early in leap years.)
func icsTransitions(loc *time.Location, from, until time.Time) []icsObservance {
	var obs []icsObservance
	lo := from.In(loc)
	prev := icsStateAt(lo)
	for lo.Before(until) {
		hi := lo.Add(icsStep)
		if hi.After(until) {
			hi = until
		}
		if icsStateAt(hi) == prev {
			lo = hi
			continue
		}
		// prev holds at l, not at h; tz data changes on whole seconds.
		l, h := lo.Unix(), hi.Unix()
		for h-l > 1 {
			m := l + (h-l)/2
			if icsStateAt(time.Unix(m, 0).In(loc)) == prev {
				l = m
			} else {
				h = m
			}
		}
		at := time.Unix(h, 0).In(loc)
		next := icsStateAt(at)
		if !at.Before(until) {
			break
		}
		obs = append(obs, icsObservance{at: at, daylight: next.dst, from: prev.offset, to: next.offset, name: next.name})
		lo, prev = at, next
	}
	return obs
}

// icsWriteVTimezone writes a VTIMEZONE for loc covering the year before start
// to the year after end. Every change in that window (see icsTransitions)
// becomes an observance whose DTSTART is the local time of the change under
// the old offset, as RFC 5545 §3.6.5 defines it.
//
// Unless a change at or before start is among them, an observance for the
// offset in force when the window opens comes first, so that start (and so
// every later time written with this TZID) falls inside one: this is the only
// observance a zone without changes (UTC, Asia/Tokyo) gets, with the customary
// 1970 onset, and then it is always a STANDARD one.
func icsWriteVTimezone(w *icsWriter, tzid string, loc *time.Location, start, end time.Time) {
	from := time.Date(start.Year()-1, time.January, 1, 0, 0, 0, 0, loc)
	until := time.Date(end.Year()+2, time.January, 1, 0, 0, 0, 0, loc)
	obs := icsTransitions(loc, from, until)

	if len(obs) == 0 || obs[0].at.After(start) {
		name, off := from.Zone()
		initial := icsObservance{at: from, daylight: from.IsDST(), from: off, to: off, name: name}
		if len(obs) == 0 {
			initial.daylight = false
			if epoch := time.Date(1970, time.January, 1, 0, 0, 0, 0, time.FixedZone("", off)); epoch.Before(from) {
				initial.at = epoch
			}
		}
		obs = append([]icsObservance{initial}, obs...)
	}

	w.line("BEGIN:VTIMEZONE")
	w.line("TZID:" + tzid)
	for _, o := range obs {
		kind := "STANDARD"
		if o.daylight {
			kind = "DAYLIGHT"
		}
		w.line("BEGIN:" + kind)
		w.line("DTSTART:" + o.at.In(time.FixedZone("", o.from)).Format(icsLocalLayout))
		w.line("TZOFFSETFROM:" + icsUTCOffset(o.from))
		w.line("TZOFFSETTO:" + icsUTCOffset(o.to))
		w.line("TZNAME:" + icsEscapeText(o.name))
		w.line("END:" + kind)
	}
	w.line("END:VTIMEZONE")
}

// icsUTCOffset formats seconds east of UTC as RFC 5545 §3.3.14 wants:
// +hhmm, or +hhmmss when there are seconds; never -0000.
func icsUTCOffset(sec int) string {
	sign := byte('+')
	if sec < 0 {
		sign, sec = '-', -sec
	}
	s := fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// icsEscapeText escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon
// and comma get a backslash, a line break (CRLF, LF or CR) becomes \n, and
// other control characters, which TEXT cannot hold, are dropped (tab stays).
// Bytes that are not UTF-8 become U+FFFD.
func icsEscapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', ';', ',':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteString(`\n`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// icsQuoteParam writes a parameter value as a quoted-string, which may hold
// ':', ';' and ',' but no DQUOTE or control character: a DQUOTE becomes an
// apostrophe and control characters are dropped.
func icsQuoteParam(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r < 0x20 || r == 0x7f:
		case r == utf8.RuneError:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// icsCheckURI refuses a URL that would break the content line it is written
// on: URI values are not escaped, so they must be UTF-8 and hold no space or
// control character.
func icsCheckURI(u string) error {
	if !utf8.ValidString(u) {
		return fmt.Errorf("notify: ics: URL %q is not UTF-8", u)
	}
	for i := 0; i < len(u); i++ {
		if c := u[i]; c <= ' ' || c == 0x7f {
			return fmt.Errorf("notify: ics: URL %q holds a space or control character", u)
		}
	}
	return nil
}

// icsWriter collects content lines, folding each and ending it with CRLF.
type icsWriter struct {
	buf bytes.Buffer
}

func (w *icsWriter) line(s string) {
	w.buf.WriteString(icsFold(s))
	w.buf.WriteString("\r\n")
}

// icsFold splits a content line into physical lines of at most 75 octets
// (RFC 5545 §3.1), joined by CRLF and a space, breaking only between UTF-8
// sequences so no line holds half a character.
func icsFold(s string) string {
	if len(s) <= icsMaxLine {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/(icsMaxLine-1)*3)
	limit := icsMaxLine // the first line has no leading space
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = limit // not UTF-8: the octet limit still holds
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = icsMaxLine - 1
	}
	b.WriteString(s)
	return b.String()
}
