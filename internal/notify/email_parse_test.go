package notify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// parsedMail is what testdata/readmail.py (Python's email and icalendar,
// from Debian's python3-icalendar) makes of a message.
type parsedMail struct {
	Defects     []string `json:"defects"`
	MessageID   string   `json:"message_id"`
	Date        string   `json:"date"`
	MIMEVersion string   `json:"mime_version"`
	Subject     string   `json:"subject"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	ContentType string   `json:"content_type"`
	Parts       []string `json:"parts"`
	Text        string   `json:"text"`
	PartMethod  string   `json:"part_method"`
	Method      string   `json:"method"`
	Events      int      `json:"events"`
	UID         string   `json:"uid"`
	Sequence    int      `json:"sequence"`
	Status      string   `json:"status"`
	Summary     string   `json:"summary"`
	Organizer   string   `json:"organizer"`
	Attendee    string   `json:"attendee"`
	DTStart     string   `json:"dtstart"`
}

// readMail parses raw messages with Python's parsers. Debian's python3 is
// preferred: its icalendar comes from python3-icalendar (scripts/bootstrap).
func readMail(t *testing.T, msgs ...string) []parsedMail {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	dir := t.TempDir()
	args := []string{filepath.Join("testdata", "readmail.py")}
	for i, m := range msgs {
		p := filepath.Join(dir, "msg"+string(rune('a'+i))+".eml")
		if err := os.WriteFile(p, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(py, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 testdata/readmail.py: %v\n%s\n(needs python3-icalendar: run scripts/bootstrap)", err, stderr.String())
	}
	var res []parsedMail
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p parsedMail
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("readmail.py printed %q: %v", sc.Text(), err)
		}
		res = append(res, p)
	}
	if len(res) != len(msgs) {
		t.Fatalf("readmail.py read %d of %d messages", len(res), len(msgs))
	}
	return res
}

// TestEmailInvitationThenCancellationAsAMailClientReadsThem sends a booked
// room's invitation, its move and its cancellation through the deliverer
// and a real SMTP conversation, and reads what arrived with Python's email
// and icalendar: a REQUEST of the event, then a REQUEST with a higher
// SEQUENCE, then a CANCEL of the same UID with a higher SEQUENCE still,
// each with the MIME part's method equal to the calendar's METHOD, an
// ORGANIZER that is roomsd's sender, a Message-ID of its own and a UTF-8
// subject that decodes back.
func TestEmailInvitationThenCancellationAsAMailClientReadsThem(t *testing.T) {
	sink := newSMTPSink(t)
	m, err := NewMailer("smtp://" + sink.ln.Addr().String() + "?from=rooms@example.com")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	start := time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC)
	moved := start.Add(time.Hour)
	rm := api.Room{ID: "abc", Name: "Aperitivo 🍹", Theme: "aperitivo", TimeZone: "Europe/Rome", StartsAt: start, CreatedAt: created, DurationSeconds: 3600}
	now := created
	d := NewDeliverer(DelivererConfig{Mailer: m, Now: func() time.Time { return now }})
	steps := []struct {
		typ     string
		at      time.Time
		changed time.Time
	}{
		{"invited", start, created},
		{"rescheduled", moved, created.Add(2 * time.Hour)},
		{"cancelled", moved, created.Add(26 * time.Hour)},
	}
	for _, st := range steps {
		payload, _ := json.Marshal(api.Notification{Type: st.typ, At: st.at, Link: "https://rooms.example/r/abc", Room: rm})
		now = st.changed.Add(time.Second)
		it := store.OutboxItem{Channel: "email", Recipient: "ann@example.com", Type: st.typ, Payload: payload, CreatedAt: st.changed}
		if err := d.email(context.Background(), it); err != nil {
			t.Fatalf("%s: %v", st.typ, err)
		}
	}
	sink.mu.Lock()
	msgs := append([]string(nil), sink.msgs...)
	sink.mu.Unlock()
	got := readMail(t, msgs...)

	seen := map[string]bool{}
	for i, p := range got {
		typ := steps[i].typ
		if len(p.Defects) > 0 {
			t.Errorf("%s: the email parser found defects: %v", typ, p.Defects)
		}
		if p.MessageID == "" || !strings.HasPrefix(p.MessageID, "<") || !strings.HasSuffix(p.MessageID, "@example.com>") || seen[p.MessageID] {
			t.Errorf("%s: Message-ID %q: want one of its own, in the sender's domain", typ, p.MessageID)
		}
		seen[p.MessageID] = true
		if p.Date == "" || p.MIMEVersion != "1.0" {
			t.Errorf("%s: Date %q MIME-Version %q", typ, p.Date, p.MIMEVersion)
		}
		if p.ContentType != "multipart/alternative" || strings.Join(p.Parts, ",") != "text/plain,text/calendar" {
			t.Errorf("%s: %s of %v, want multipart/alternative of text/plain and text/calendar", typ, p.ContentType, p.Parts)
		}
		if !strings.Contains(p.Subject, "Aperitivo 🍹") {
			t.Errorf("%s: subject decodes to %q", typ, p.Subject)
		}
		if !strings.Contains(p.Text, "rooms join https://rooms.example/r/abc") {
			t.Errorf("%s: text %q", typ, p.Text)
		}
		if p.PartMethod == "" || p.PartMethod != p.Method {
			t.Errorf("%s: MIME part says method=%q, the calendar METHOD:%s; RFC 6047 wants them equal", typ, p.PartMethod, p.Method)
		}
		if p.Events != 1 || p.UID != "abc@rooms.example" {
			t.Errorf("%s: %d events, UID %q", typ, p.Events, p.UID)
		}
		if !strings.EqualFold(p.Organizer, "mailto:rooms@example.com") || !strings.EqualFold(p.Attendee, "mailto:ann@example.com") {
			t.Errorf("%s: ORGANIZER %q ATTENDEE %q", typ, p.Organizer, p.Attendee)
		}
	}
	inv, mv, cancel := got[0], got[1], got[2]
	if inv.Method != "REQUEST" || mv.Method != "REQUEST" || cancel.Method != "CANCEL" {
		t.Fatalf("methods %s, %s, %s; want REQUEST, REQUEST, CANCEL", inv.Method, mv.Method, cancel.Method)
	}
	if !(inv.Sequence < mv.Sequence && mv.Sequence < cancel.Sequence) {
		t.Errorf("SEQUENCE %d, %d, %d: each change must outrank the last", inv.Sequence, mv.Sequence, cancel.Sequence)
	}
	if cancel.Status != "CANCELLED" || inv.Status != "CONFIRMED" {
		t.Errorf("STATUS %q then %q", inv.Status, cancel.Status)
	}
	if !strings.HasPrefix(inv.DTStart, "2026-12-24T19:00:00") || !strings.HasPrefix(mv.DTStart, "2026-12-24T20:00:00") {
		t.Errorf("DTSTART %s then %s (Rome time)", inv.DTStart, mv.DTStart)
	}
}
