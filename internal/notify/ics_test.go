package notify

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo
)

var updateICS = flag.Bool("update-ics", false, "rewrite the ics_*.golden files in testdata/")

// icsTestStamp is the DTSTAMP of every test event, so output is reproducible.
var icsTestStamp = time.Date(2026, time.November, 20, 10, 0, 0, 0, time.UTC)

func icsTestLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// icsTestEvent is a typical booked room starting at the given wall time in tz.
func icsTestEvent(t testing.TB, tz string, y int, mo time.Month, d, h, m int) Event {
	t.Helper()
	return Event{
		UID:         "r-7f3a9c@rooms.example",
		Sequence:    1,
		Start:       time.Date(y, mo, d, h, m, 0, 0, icsTestLoc(t, tz)),
		TZ:          tz,
		Summary:     "🍹 Aperitivo",
		Description: "Join the room: https://rooms.example/r/7f3a9c",
		URL:         "https://rooms.example/r/7f3a9c",
		Stamp:       icsTestStamp,
	}
}

func icsTestRender(t testing.TB, e Event) []byte {
	t.Helper()
	b, err := ICS(e)
	if err != nil {
		t.Fatalf("ICS(%+v): %v", e, err)
	}
	return b
}

// TestICSGolden pins the exact output for the cases a reviewer should read.
// Rewrite them deliberately with: go test ./internal/notify -run ICSGolden -update-ics
func TestICSGolden(t *testing.T) {
	longText := icsTestLongText()
	tests := []struct {
		file string
		e    func(t *testing.T) Event
	}{
		{"ics_rome_winter.golden", func(t *testing.T) Event {
			return icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
		}},
		{"ics_rome_summer.golden", func(t *testing.T) Event {
			e := icsTestEvent(t, "Europe/Rome", 2026, time.July, 1, 19, 0)
			e.Duration = 90 * time.Minute
			e.Organizer = "rooms"
			return e
		}},
		{"ics_rome_dst_day.golden", func(t *testing.T) Event {
			return icsTestEvent(t, "Europe/Rome", 2026, time.March, 29, 19, 0)
		}},
		{"ics_rome_cancel.golden", func(t *testing.T) Event {
			e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
			e.Sequence = 2
			e.Cancelled = true
			return e
		}},
		{"ics_utc.golden", func(t *testing.T) Event {
			return icsTestEvent(t, "UTC", 2026, time.December, 24, 18, 0)
		}},
		{"ics_new_york.golden", func(t *testing.T) Event {
			// Given as a Rome instant: the file must still say New York time.
			e := icsTestEvent(t, "Europe/Rome", 2026, time.November, 2, 1, 30)
			e.TZ = "America/New_York"
			return e
		}},
		{"ics_long_emoji.golden", func(t *testing.T) Event {
			e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
			e.Summary = longText
			e.Description = longText + "\n\nLink: https://rooms.example/r/7f3a9c"
			return e
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := tt.e(t)
			got := icsTestRender(t, e)
			icsTestCheckWellFormed(t, got)
			icsTestCheckTimes(t, e, got)
			path := filepath.Join("testdata", tt.file)
			if *updateICS {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (create it with -update-ics): %v", err)
			}
			// Git may rewrite the golden file's line endings; CRLF itself is
			// checked on the rendered bytes above.
			gotLines := strings.Split(strings.ReplaceAll(string(got), "\r\n", "\n"), "\n")
			wantLines := strings.Split(strings.ReplaceAll(string(want), "\r\n", "\n"), "\n")
			for i := range max(len(gotLines), len(wantLines)) {
				var g, w string
				if i < len(gotLines) {
					g = gotLines[i]
				}
				if i < len(wantLines) {
					w = wantLines[i]
				}
				if g != w {
					t.Fatalf("%s: line %d differs\n got: %q\nwant: %q", path, i+1, g, w)
				}
			}
		})
	}
}

// icsTestLongText is a summary long enough to fold several times, with
// multi-byte characters (including a ZWJ sequence and a flag) placed so that
// some fall on the 75-octet boundary.
func icsTestLongText() string {
	return "🍹 Aperitivo di Natale, con tutti: 👨‍👩‍👧‍👦 famiglia; amici \\ colleghi 🇮🇹 — " +
		strings.Repeat("é🎄", 12) + " città, perché sì; ★ fine ✔"
}

func TestICSLinesEndWithCRLF(t *testing.T) {
	e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
	e.Description = "line one\nline two\r\nline three\rline four"
	got := icsTestRender(t, e)
	if !bytes.HasSuffix(got, []byte("END:VCALENDAR\r\n")) {
		t.Errorf("output does not end with END:VCALENDAR CRLF: %q", got[max(0, len(got)-20):])
	}
	for i, c := range got {
		switch c {
		case '\r':
			if i+1 >= len(got) || got[i+1] != '\n' {
				t.Fatalf("bare CR at byte %d", i)
			}
		case '\n':
			if i == 0 || got[i-1] != '\r' {
				t.Fatalf("bare LF at byte %d", i)
			}
		}
	}
	if !strings.Contains(icsTestUnfold(got), "DESCRIPTION:line one\\nline two\\nline three\\nline four\r\n") {
		t.Errorf("line breaks in the description were not written as \\n:\n%s", got)
	}
}

func TestICSRequiredProperties(t *testing.T) {
	e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
	e.Stamp = time.Date(2026, time.November, 20, 11, 0, 0, 0, icsTestLoc(t, "Europe/Rome"))
	props := icsTestParse(t, icsTestRender(t, e))
	want := map[string]string{
		"VERSION":  "2.0",
		"PRODID":   "-//rooms//rooms//EN",
		"CALSCALE": "GREGORIAN",
		"METHOD":   "PUBLISH",
		"UID":      "r-7f3a9c@rooms.example",
		"SEQUENCE": "1",
		"DTSTAMP":  "20261120T100000Z",
		"STATUS":   "CONFIRMED",
		"URL":      "https://rooms.example/r/7f3a9c",
		"SUMMARY":  "🍹 Aperitivo",
	}
	for name, v := range want {
		p, ok := icsTestEventProp(props, name)
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if p.value != v {
			t.Errorf("%s = %q, want %q", name, p.value, v)
		}
	}
	if p, _ := icsTestEventProp(props, "DTSTART"); p.raw != "DTSTART;TZID=Europe/Rome:20261224T190000" {
		t.Errorf("DTSTART line = %q", p.raw)
	}
	// No Duration means one hour.
	if p, _ := icsTestEventProp(props, "DTEND"); p.raw != "DTEND;TZID=Europe/Rome:20261224T200000" {
		t.Errorf("DTEND line = %q", p.raw)
	}
	if _, ok := icsTestEventProp(props, "ORGANIZER"); ok {
		t.Error("ORGANIZER written without an Organizer")
	}

	e.Organizer = `rooms "bot"; ok`
	e.Duration = 150 * time.Minute
	props = icsTestParse(t, icsTestRender(t, e))
	if p, _ := icsTestEventProp(props, "ORGANIZER"); p.raw != `ORGANIZER;CN="rooms 'bot'; ok":https://rooms.example/r/7f3a9c` {
		t.Errorf("ORGANIZER line = %q", p.raw)
	}
	if p, _ := icsTestEventProp(props, "DTEND"); p.raw != "DTEND;TZID=Europe/Rome:20261224T213000" {
		t.Errorf("DTEND line with a 150m duration = %q", p.raw)
	}
}

func TestICSCancelUsesNextSequence(t *testing.T) {
	e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
	e.Sequence = 3
	props := icsTestParse(t, icsTestRender(t, e))
	for name, want := range map[string]string{"METHOD": "PUBLISH", "STATUS": "CONFIRMED", "SEQUENCE": "3"} {
		if p, _ := icsTestEventProp(props, name); p.value != want {
			t.Errorf("published: %s = %q, want %q", name, p.value, want)
		}
	}
	e.Cancelled = true
	props = icsTestParse(t, icsTestRender(t, e))
	for name, want := range map[string]string{"METHOD": "CANCEL", "STATUS": "CANCELLED", "SEQUENCE": "4", "UID": e.UID} {
		if p, _ := icsTestEventProp(props, name); p.value != want {
			t.Errorf("cancelled: %s = %q, want %q", name, p.value, want)
		}
	}
}

func TestICSEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a,b", `a\,b`},
		{"a;b", `a\;b`},
		{`a\b`, `a\\b`},
		{"a\nb", `a\nb`},
		{"a\r\nb", `a\nb`},
		{"a\rb", `a\nb`},
		{"a\n\nb", `a\n\nb`},
		{`\n is not a newline`, `\\n is not a newline`},
		{"colon: stays", "colon: stays"},
		{`"quotes" stay`, `"quotes" stay`},
		{"tab\tstays", "tab\tstays"},
		{"bell\a and nul\x00 go", "bell and nul go"},
		{"not \xff UTF-8", "not \uFFFD UTF-8"},
		{"🍹 Aperitivo, ore 19; porta\\amici", `🍹 Aperitivo\, ore 19\; porta\\amici`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := icsEscapeText(tt.in); got != tt.want {
			t.Errorf("icsEscapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestICSEscapedTextRoundTrips writes awkward text into SUMMARY and
// DESCRIPTION and reads it back through unfolding and unescaping.
func TestICSEscapedTextRoundTrips(t *testing.T) {
	for _, s := range []string{
		`a\,b;c,d\n`,
		"trailing backslash \\",
		"multi\nline\n\nwith blank",
		strings.Repeat(";,\\", 40),
	} {
		e := icsTestEvent(t, "UTC", 2026, time.December, 24, 19, 0)
		e.Summary, e.Description = s, s
		got := icsTestRender(t, e)
		icsTestCheckWellFormed(t, got)
		props := icsTestParse(t, got)
		for _, name := range []string{"SUMMARY", "DESCRIPTION"} {
			p, _ := icsTestEventProp(props, name)
			if u := icsTestUnescape(t, p.value); u != s {
				t.Errorf("%s round trip: got %q, want %q", name, u, s)
			}
		}
	}
}

func TestICSFoldsLongEmojiText(t *testing.T) {
	long := icsTestLongText()
	e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
	e.Summary = long
	e.Description = long + "\n\nLink: " + e.URL
	got := icsTestRender(t, e)
	icsTestCheckWellFormed(t, got)

	folded := 0
	for _, line := range strings.Split(strings.TrimSuffix(string(got), "\r\n"), "\r\n") {
		if strings.HasPrefix(line, " ") {
			folded++
		}
	}
	if folded < 6 {
		t.Errorf("only %d continuation lines; the test text should fold several times", folded)
	}
	props := icsTestParse(t, got)
	if p, _ := icsTestEventProp(props, "SUMMARY"); icsTestUnescape(t, p.value) != long {
		t.Errorf("SUMMARY unfolds to %q, want %q", icsTestUnescape(t, p.value), long)
	}
	if p, _ := icsTestEventProp(props, "DESCRIPTION"); icsTestUnescape(t, p.value) != e.Description {
		t.Errorf("DESCRIPTION unfolds to %q, want %q", icsTestUnescape(t, p.value), e.Description)
	}
}

func TestICSFoldBoundaries(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		in   string
		want []string // physical lines
	}{
		{"74 octets stay", a(74), []string{a(74)}},
		{"75 octets stay", a(75), []string{a(75)}},
		{"76 octets fold", a(76), []string{a(75), " a"}},
		{"continuations carry 74 octets", a(75 + 74 + 1), []string{a(75), " " + a(74), " a"}},
		{"2-byte rune ending at 75 stays", a(73) + "é", []string{a(73) + "é"}},
		{"2-byte rune across 75 moves down", a(74) + "é", []string{a(74), " é"}},
		{"3-byte rune across 75 moves down", a(73) + "€b", []string{a(73), " €b"}},
		{"4-byte rune across 75 moves down", a(72) + "🍹b", []string{a(72), " 🍹b"}},
		{"4-byte rune ending at 75 stays", a(71) + "🍹b", []string{a(71) + "🍹", " b"}},
		{"not UTF-8 still folds at 75", strings.Repeat("\x80", 80), []string{strings.Repeat("\x80", 75), " " + strings.Repeat("\x80", 5)}},
		{"only emoji", strings.Repeat("🍹", 40), []string{
			strings.Repeat("🍹", 18), " " + strings.Repeat("🍹", 18), " " + strings.Repeat("🍹", 4)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Split(icsFold(tt.in), "\r\n")
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("icsFold:\n got %q\nwant %q", got, tt.want)
			}
			for _, line := range got {
				if len(line) > 75 || utf8.ValidString(tt.in) && !utf8.ValidString(line) {
					t.Errorf("bad physical line %q (%d octets)", line, len(line))
				}
			}
			if u := strings.ReplaceAll(icsFold(tt.in), "\r\n ", ""); u != tt.in {
				t.Errorf("unfolds to %q", u)
			}
		})
	}
}

// TestICSWallTimeMatchesStart renders events all through the year, and right
// around every transition, in zones with odd offsets and DST rules, and checks
// that DTSTART and DTEND say the right local time, and that a client using only
// the VTIMEZONE in the file maps them to the right instants.
func TestICSWallTimeMatchesStart(t *testing.T) {
	zones := []string{
		"UTC", "Asia/Tokyo", "Europe/Rome", "America/New_York", "Australia/Sydney",
		"Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham",
		"Africa/Casablanca", "Europe/Dublin", "America/Sao_Paulo", "America/Santiago",
		"Asia/Tehran", "Pacific/Apia", "Europe/London",
	}
	for _, tz := range zones {
		t.Run(tz, func(t *testing.T) {
			loc := icsTestLoc(t, tz)
			var starts []time.Time
			for _, year := range []int{2019, 2024, 2026, 2045} {
				from := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
				to := from.AddDate(1, 0, 0)
				for s := from; s.Before(to); s = s.Add(53*time.Hour + 17*time.Minute) {
					starts = append(starts, s)
				}
				for _, at := range icsTestChanges(loc, from, to) {
					for _, d := range []time.Duration{-150, -90, -61, -60, -59, -30, -1, 0, 1, 30, 59, 60, 61, 90, 150} {
						starts = append(starts, at.Add(d*time.Minute), at.Add(d*time.Minute-time.Second))
					}
				}
			}
			for _, s := range starts {
				e := Event{UID: "u@h", Start: s.UTC(), TZ: tz, Duration: 45 * time.Minute, Stamp: icsTestStamp}
				got := icsTestRender(t, e)
				icsTestCheckTimes(t, e, got)
				if t.Failed() {
					t.Fatalf("in:\n%s", got)
				}
			}
		})
	}
}

// icsTestChanges lists the instants loc changes offset between from and to,
// looking every quarter hour and bisecting to the second (independently of
// icsTransitions, and more finely).
func icsTestChanges(loc *time.Location, from, to time.Time) []time.Time {
	var at []time.Time
	offAt := func(u int64) int { _, off := time.Unix(u, 0).In(loc).Zone(); return off }
	for u := from.Unix(); u < to.Unix(); u += 900 {
		if offAt(u) == offAt(u+900) {
			continue
		}
		l, h := u, u+900
		for h-l > 1 {
			if m := l + (h-l)/2; offAt(m) == offAt(l) {
				l = m
			} else {
				h = m
			}
		}
		at = append(at, time.Unix(h, 0))
	}
	return at
}

// TestICSRepeatedHour checks the hour that happens twice when clocks go back:
// RFC 5545 reads a local time in it as the first occurrence, so the second
// must be written in UTC.
func TestICSRepeatedHour(t *testing.T) {
	tests := []struct {
		tz      string
		start   time.Time
		dtstart string
	}{
		{"Europe/Rome", time.Date(2026, time.October, 25, 0, 30, 0, 0, time.UTC), "DTSTART;TZID=Europe/Rome:20261025T023000"},
		{"Europe/Rome", time.Date(2026, time.October, 25, 1, 30, 0, 0, time.UTC), "DTSTART:20261025T013000Z"},
		{"Europe/Rome", time.Date(2026, time.October, 25, 2, 0, 0, 0, time.UTC), "DTSTART;TZID=Europe/Rome:20261025T030000"},
		{"America/New_York", time.Date(2026, time.November, 1, 5, 30, 0, 0, time.UTC), "DTSTART;TZID=America/New_York:20261101T013000"},
		{"America/New_York", time.Date(2026, time.November, 1, 6, 30, 0, 0, time.UTC), "DTSTART:20261101T063000Z"},
		{"Australia/Lord_Howe", time.Date(2026, time.April, 4, 15, 15, 0, 0, time.UTC), "DTSTART:20260404T151500Z"},
	}
	for _, tt := range tests {
		e := Event{UID: "u@h", Start: tt.start, TZ: tt.tz, Stamp: icsTestStamp}
		got := icsTestRender(t, e)
		if p, _ := icsTestEventProp(icsTestParse(t, got), "DTSTART"); p.raw != tt.dtstart {
			t.Errorf("%s at %v: %q, want %q", tt.tz, tt.start, p.raw, tt.dtstart)
		}
		icsTestCheckTimes(t, e, got)
	}
}

func TestICSVTimezoneRome(t *testing.T) {
	got := icsTestRender(t, icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0))
	obs := icsTestObservances(t, icsTestParse(t, got))
	want := []string{
		"DAYLIGHT 20250330T020000 +0100 +0200 CEST",
		"STANDARD 20251026T030000 +0200 +0100 CET",
		"DAYLIGHT 20260329T020000 +0100 +0200 CEST",
		"STANDARD 20261025T030000 +0200 +0100 CET",
		"DAYLIGHT 20270328T020000 +0100 +0200 CEST",
		"STANDARD 20271031T030000 +0200 +0100 CET",
	}
	if g := icsTestObsStrings(obs); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("observances:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

func TestICSVTimezoneWithoutDST(t *testing.T) {
	for tz, want := range map[string]string{
		"UTC":          "STANDARD 19700101T000000 +0000 +0000 UTC",
		"Asia/Tokyo":   "STANDARD 19700101T000000 +0900 +0900 JST",
		"Asia/Kolkata": "STANDARD 19700101T000000 +0530 +0530 IST",
		"":             "STANDARD 19700101T000000 +0000 +0000 UTC",
	} {
		e := icsTestEvent(t, "UTC", 2026, time.December, 24, 19, 0)
		e.TZ = tz
		props := icsTestParse(t, icsTestRender(t, e))
		if g := icsTestObsStrings(icsTestObservances(t, props)); len(g) != 1 || g[0] != want {
			t.Errorf("%q: observances %q, want [%q]", tz, g, want)
		}
		wantTZID := tz
		if tz == "" {
			wantTZID = "UTC"
		}
		if p, _ := icsTestEventProp(props, "DTSTART"); p.params["TZID"] != wantTZID {
			t.Errorf("%q: DTSTART TZID = %q, want %q", tz, p.params["TZID"], wantTZID)
		}
	}
}

// TestICSVTimezoneLateChange covers a window whose only change comes after the
// event: an observance for the offset before it must cover the event.
func TestICSVTimezoneLateChange(t *testing.T) {
	// Sao Paulo last changed clocks on 2019-02-17; an event in 2017 sees the
	// 2016..2018 changes, one in 2020 sees 2019's only, and 2018 sees both.
	for _, year := range []int{2017, 2018, 2020, 2021, 2022} {
		e := icsTestEvent(t, "America/Sao_Paulo", year, time.June, 1, 19, 0)
		icsTestCheckTimes(t, e, icsTestRender(t, e))
	}
	// Iran kept standard time in 2006 and 2007 and moved clocks again from
	// March 2008: the only changes in the window come after the event.
	e := icsTestEvent(t, "Asia/Tehran", 2007, time.June, 1, 19, 0)
	got := icsTestRender(t, e)
	icsTestCheckTimes(t, e, got)
	obs := icsTestObsStrings(icsTestObservances(t, icsTestParse(t, got)))
	if len(obs) != 3 || obs[0] != "STANDARD 20060101T000000 +0330 +0330 +0330" {
		t.Errorf("Tehran 2007 observances %q, want the 2006 start then 2008's two changes", obs)
	}
}

func TestICSUnknownZone(t *testing.T) {
	for _, tz := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "Europe/Rome;X=1", "Europe/Rome:x", "Europe Rome"} {
		e := icsTestEvent(t, "UTC", 2026, time.December, 24, 19, 0)
		e.TZ = tz
		_, err := ICS(e)
		if err == nil {
			t.Errorf("TZ %q: no error", tz)
			continue
		}
		if want := fmt.Sprintf("unknown time zone %q", tz); !strings.Contains(err.Error(), want) {
			t.Errorf("TZ %q: error %q does not say %q", tz, err, want)
		}
	}
}

func TestICSRejectsBadEvents(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Event)
		want   string
	}{
		{"no UID", func(e *Event) { e.UID = "" }, "no UID"},
		{"no start", func(e *Event) { e.Start = time.Time{} }, "no start"},
		{"negative duration", func(e *Event) { e.Duration = -time.Minute }, "negative duration"},
		{"negative sequence", func(e *Event) { e.Sequence = -1 }, "negative sequence"},
		{"URL with a line break", func(e *Event) { e.URL += "\r\nX-EVIL:1" }, "control character"},
		{"URL with a space", func(e *Event) { e.URL += " x" }, "space"},
		{"URL not UTF-8", func(e *Event) { e.URL += "\xff" }, "UTF-8"},
		{"organizer without URL", func(e *Event) { e.URL, e.Organizer = "", "rooms" }, "organizer"},
	}
	for _, tt := range tests {
		e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
		tt.modify(&e)
		if _, err := ICS(e); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.want)
		}
	}
}

func TestICSInvalidUTF8Text(t *testing.T) {
	e := icsTestEvent(t, "Europe/Rome", 2026, time.December, 24, 19, 0)
	e.Summary = "Aperitivo " + strings.Repeat("\x80\xbf", 60)
	e.Organizer = "rooms \xff"
	got := icsTestRender(t, e)
	icsTestCheckWellFormed(t, got)
}

// TestICSVTimezoneAcrossLeapYearEnd covers a window starting in a leap year
// past the transitions listed in the zone file, where Go's Time.ZoneBounds
// reports the end of the year a day early.
func TestICSVTimezoneAcrossLeapYearEnd(t *testing.T) {
	got := icsTestRender(t, icsTestEvent(t, "Europe/Rome", 2045, time.January, 1, 0, 30))
	want := []string{
		"DAYLIGHT 20440327T020000 +0100 +0200 CEST",
		"STANDARD 20441030T030000 +0200 +0100 CET",
		"DAYLIGHT 20450326T020000 +0100 +0200 CEST",
		"STANDARD 20451029T030000 +0200 +0100 CET",
		"DAYLIGHT 20460325T020000 +0100 +0200 CEST",
		"STANDARD 20461028T030000 +0200 +0100 CET",
	}
	if g := icsTestObsStrings(icsTestObservances(t, icsTestParse(t, got))); strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("observances:\n%s\nwant:\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
	}
}

func TestICSStampDefaultsToNow(t *testing.T) {
	e := icsTestEvent(t, "UTC", 2026, time.December, 24, 19, 0)
	e.Stamp = time.Time{}
	before := time.Now().UTC().Truncate(time.Second)
	p, _ := icsTestEventProp(icsTestParse(t, icsTestRender(t, e)), "DTSTAMP")
	after := time.Now().UTC()
	got, err := time.Parse(icsUTCLayout, p.value)
	if err != nil || got.Before(before) || got.After(after) {
		t.Errorf("DTSTAMP %q (%v) not between %v and %v", p.value, err, before, after)
	}
}

// --- a small reader for what ICS writes ---

type icsTestProp struct {
	raw    string // the unfolded content line
	name   string
	params map[string]string // quotes removed
	value  string
	comp   string // innermost component it belongs to: VEVENT, STANDARD, ...
}

// icsTestUnfold undoes line folding (RFC 5545 §3.1).
func icsTestUnfold(b []byte) string {
	s := strings.ReplaceAll(string(b), "\r\n ", "")
	return strings.ReplaceAll(s, "\r\n\t", "")
}

func icsTestParse(t testing.TB, b []byte) []icsTestProp {
	t.Helper()
	var props []icsTestProp
	var stack []string
	for _, line := range strings.Split(strings.TrimSuffix(icsTestUnfold(b), "\r\n"), "\r\n") {
		p := icsTestProp{raw: line, params: map[string]string{}}
		// The value starts at the first colon outside a quoted parameter.
		quoted, colon := false, -1
		for i := 0; i < len(line) && colon < 0; i++ {
			switch line[i] {
			case '"':
				quoted = !quoted
			case ':':
				if !quoted {
					colon = i
				}
			}
		}
		if colon < 0 {
			t.Fatalf("content line without a value: %q", line)
		}
		p.value = line[colon+1:]
		parts := strings.Split(line[:colon], ";") // good enough: no quoted ';' in the names we read
		p.name = parts[0]
		for _, kv := range parts[1:] {
			k, v, _ := strings.Cut(kv, "=")
			p.params[k] = strings.Trim(v, `"`)
		}
		switch p.name {
		case "BEGIN":
			stack = append(stack, p.value)
		case "END":
			if len(stack) == 0 || stack[len(stack)-1] != p.value {
				t.Fatalf("END:%s does not close %v", p.value, stack)
			}
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			p.comp = stack[len(stack)-1]
		}
		props = append(props, p)
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed components %v", stack)
	}
	return props
}

// icsTestEventProp finds a property of the VEVENT or, failing that, of the
// VCALENDAR itself.
func icsTestEventProp(props []icsTestProp, name string) (icsTestProp, bool) {
	for _, comp := range []string{"VEVENT", "VCALENDAR"} {
		for _, p := range props {
			if p.name == name && p.comp == comp {
				return p, true
			}
		}
	}
	return icsTestProp{}, false
}

func icsTestUnescape(t testing.TB, s string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i == len(s) {
			t.Fatalf("dangling backslash in %q", s)
		}
		switch s[i] {
		case '\\', ';', ',':
			b.WriteByte(s[i])
		case 'n', 'N':
			b.WriteByte('\n')
		default:
			t.Fatalf("bad escape \\%c in %q", s[i], s)
		}
	}
	return b.String()
}

// icsTestCheckWellFormed checks the framing rules on the bytes as written:
// CRLF only, no physical line over 75 octets or holding part of a UTF-8
// sequence, continuation lines starting with a space, TEXT values without
// unescaped commas or semicolons.
func icsTestCheckWellFormed(t testing.TB, b []byte) {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Fatal("output does not end with CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\r\n"), "\r\n")
	for i, line := range lines {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d holds a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
		if i == 0 && strings.HasPrefix(line, " ") {
			t.Errorf("first line is a continuation")
		}
		if line == "" || line == " " {
			t.Errorf("line %d is empty", i+1)
		}
	}
	props := icsTestParse(t, b)
	if props[0].raw != "BEGIN:VCALENDAR" || props[len(props)-1].raw != "END:VCALENDAR" {
		t.Errorf("not one VCALENDAR: first %q, last %q", props[0].raw, props[len(props)-1].raw)
	}
	for _, p := range props {
		switch p.name {
		case "SUMMARY", "DESCRIPTION", "UID", "TZNAME":
			icsTestUnescape(t, p.value)
			for i := 0; i < len(p.value); i++ {
				switch p.value[i] {
				case '\\':
					i++
				case ',', ';':
					t.Errorf("%s has an unescaped %q: %q", p.name, p.value[i], p.value)
				}
			}
		}
	}
}

// icsTestCheckTimes checks DTSTART and DTEND against e: written with TZID, the
// local time must be e's in that zone (loaded with time.LoadLocation), and the
// file's own VTIMEZONE must map it back to the same instant; written in UTC,
// it must be the instant itself.
func icsTestCheckTimes(t testing.TB, e Event, b []byte) {
	t.Helper()
	tz := e.TZ
	if tz == "" {
		tz = "UTC"
	}
	loc := icsTestLoc(t, tz)
	props := icsTestParse(t, b)
	obs := icsTestObservances(t, props)
	d := e.Duration
	if d == 0 {
		d = time.Hour
	}
	for name, want := range map[string]time.Time{"DTSTART": e.Start, "DTEND": e.Start.Add(d)} {
		p, ok := icsTestEventProp(props, name)
		if !ok {
			t.Errorf("no %s", name)
			continue
		}
		if strings.HasSuffix(p.value, "Z") {
			got, err := time.Parse(icsUTCLayout, p.value)
			if err != nil || !got.Equal(want) {
				t.Errorf("%s: %q (%v) is not %v", name, p.raw, err, want.UTC())
			}
			continue
		}
		if p.params["TZID"] != tz {
			t.Errorf("%s: TZID %q, want %q", name, p.params["TZID"], tz)
			continue
		}
		if w := want.In(loc).Format(icsLocalLayout); p.value != w {
			t.Errorf("%s: local time %s, want %s (%v)", name, p.value, w, want.In(loc))
		}
		got, err := icsTestResolve(obs, p.value)
		if err != nil {
			t.Errorf("%s %s: %v", name, p.value, err)
		} else if !got.Equal(want) {
			t.Errorf("%s %s by the VTIMEZONE is %v, want %v", name, p.value, got.UTC(), want.UTC())
		}
	}
}

type icsTestObs struct {
	kind     string
	dtstart  string
	from, to int // seconds east of UTC
	name     string
	onset    time.Time // DTSTART read in TZOFFSETFROM
}

func icsTestObservances(t testing.TB, props []icsTestProp) []icsTestObs {
	t.Helper()
	var obs []icsTestObs
	var cur *icsTestObs
	for _, p := range props {
		switch {
		case p.name == "BEGIN" && (p.value == "STANDARD" || p.value == "DAYLIGHT"):
			cur = &icsTestObs{kind: p.value}
		case p.name == "END" && (p.value == "STANDARD" || p.value == "DAYLIGHT"):
			onset, err := time.Parse(icsLocalLayout, cur.dtstart)
			if err != nil {
				t.Fatalf("observance DTSTART %q: %v", cur.dtstart, err)
			}
			cur.onset = onset.Add(-time.Duration(cur.from) * time.Second)
			obs = append(obs, *cur)
			cur = nil
		case cur != nil && p.name == "DTSTART":
			cur.dtstart = p.value
		case cur != nil && p.name == "TZOFFSETFROM":
			cur.from = icsTestOffset(t, p.value)
		case cur != nil && p.name == "TZOFFSETTO":
			cur.to = icsTestOffset(t, p.value)
		case cur != nil && p.name == "TZNAME":
			cur.name = p.value
		}
	}
	if len(obs) == 0 {
		t.Fatal("no VTIMEZONE observances")
	}
	for i := 1; i < len(obs); i++ {
		if !obs[i].onset.After(obs[i-1].onset) {
			t.Errorf("observances out of order: %v then %v", obs[i-1].onset, obs[i].onset)
		}
		if obs[i].from != obs[i-1].to {
			t.Errorf("observance at %s goes from %d but the one before went to %d", obs[i].dtstart, obs[i].from, obs[i-1].to)
		}
	}
	return obs
}

func icsTestObsStrings(obs []icsTestObs) []string {
	var s []string
	for _, o := range obs {
		s = append(s, fmt.Sprintf("%s %s %s %s %s", o.kind, o.dtstart, icsUTCOffset(o.from), icsUTCOffset(o.to), o.name))
	}
	return s
}

func icsTestOffset(t testing.TB, s string) int {
	t.Helper()
	if (len(s) != 5 && len(s) != 7) || (s[0] != '+' && s[0] != '-') || s == "-0000" || s == "-000000" {
		t.Fatalf("bad UTC offset %q", s)
	}
	n := func(i int) int {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil {
			t.Fatalf("bad UTC offset %q", s)
		}
		return v
	}
	sec := n(1)*3600 + n(3)*60
	if len(s) == 7 {
		sec += n(5)
	}
	if s[0] == '-' {
		sec = -sec
	}
	return sec
}

// icsTestResolve reads a local time the way a calendar client would, using
// only the observances: of the instants whose offset the observance in force
// gives that local time, RFC 5545 §3.3.5 takes the first.
func icsTestResolve(obs []icsTestObs, local string) (time.Time, error) {
	wall, err := time.Parse(icsLocalLayout, local)
	if err != nil {
		return time.Time{}, err
	}
	inForce := func(u time.Time) (icsTestObs, bool) {
		var cur icsTestObs
		found := false
		for _, o := range obs {
			if !o.onset.After(u) {
				cur, found = o, true
			}
		}
		return cur, found
	}
	var best time.Time
	for _, o := range obs {
		u := wall.Add(-time.Duration(o.to) * time.Second)
		if f, ok := inForce(u); ok && f.to == o.to && (best.IsZero() || u.Before(best)) {
			best = u
		}
	}
	if best.IsZero() {
		return best, fmt.Errorf("no observance gives local time %s", local)
	}
	return best, nil
}
