package notify

import (
	"strings"
	"testing"
	"time"
)

// TestICSiTIP: the method follows the event (PUBLISH for a download,
// REQUEST to an attendee, CANCEL), ORGANIZER is mailto: the sender, and a
// request without an organizer or with a broken address is refused.
func TestICSiTIP(t *testing.T) {
	base := Event{UID: "abc@rooms.example", Start: time.Date(2026, 12, 24, 18, 0, 0, 0, time.UTC), URL: "https://rooms.example/r/abc", Stamp: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name    string
		mod     func(*Event)
		method  string
		has     []string
		wantErr string
	}{
		{"download", func(*Event) {}, "PUBLISH", nil, ""},
		{"invitation", func(e *Event) { e.OrganizerEmail, e.Attendee = "rooms@example.com", "ann@example.com" }, "REQUEST",
			[]string{"ORGANIZER;CN=\"rooms\":mailto:rooms@example.com", "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:ann@example.com", "STATUS:CONFIRMED"}, ""},
		{"cancellation", func(e *Event) {
			e.OrganizerEmail, e.Attendee, e.Cancelled, e.Sequence = "rooms@example.com", "ann@example.com", true, 7
		}, "CANCEL", []string{"ORGANIZER;CN=\"rooms\":mailto:rooms@example.com", "SEQUENCE:8", "STATUS:CANCELLED"}, ""},
		{"request without organizer", func(e *Event) { e.Attendee = "ann@example.com" }, "", nil, "organizer"},
		{"bad attendee", func(e *Event) { e.OrganizerEmail, e.Attendee = "rooms@example.com", "ann\r\nX-EVIL:1" }, "", nil, "not an email address"},
		{"bad organizer", func(e *Event) { e.OrganizerEmail = "rooms" }, "", nil, "not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.mod(&e)
			b, err := ICS(e)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ICS = %v, want an error about %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Method() != tt.method || icsMethod(b) != tt.method {
				t.Fatalf("Method %s, file METHOD %s, want %s", e.Method(), icsMethod(b), tt.method)
			}
			for _, h := range tt.has {
				if !strings.Contains(strings.ReplaceAll(string(b), "\r\n ", ""), h+"\r\n") { // unfolded
					t.Errorf("no %q in\n%s", h, b)
				}
			}
		})
	}
	if Sequence(base.Stamp, base.Stamp.Add(90*time.Second)) != 90 || Sequence(base.Stamp, base.Stamp.Add(-time.Hour)) != 0 {
		t.Fatal("Sequence is not the whole seconds from creation to the change")
	}
}
