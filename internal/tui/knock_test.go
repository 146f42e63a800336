package tui

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// withKnocks is a call of n others where ann and bo knock.
func withKnocks(t *testing.T, host bool) (Model, *recorder) {
	t.Helper()
	m, rec := callWith(t, 3, 140, 40, host)
	for _, k := range []api.Knock{{ID: "kann", Name: "Zoe", At: t0}, {ID: "kbo", Name: "Yan", At: t0}} {
		mm, _ := m.Update(EventMsg{Event: client.Knock{Knock: k}})
		m = mm.(Model)
	}
	return m, rec
}

func TestGoldenKnocks(t *testing.T) {
	m, _ := withKnocks(t, true)
	m = press(t, m, "tab")
	v := m.View().Content
	text := termimg.StripANSI(v)
	for _, want := range []string{"🚪 Zoe asks to join: a admit · d decline (1 more waiting)", "Knocking (2)", "• Yan"} {
		if !strings.Contains(text, want) {
			t.Errorf("the host's view lacks %q", want)
		}
	}
	golden(t, "call-knocks-people-panel.golden", v)
}

func TestKnockKeys(t *testing.T) {
	tests := []struct {
		name string
		host bool
		keys []string
		want []string
	}{
		{"a admits the first knock", true, []string{"a"}, []string{"host admit kann"}},
		{"d asks first; y declines", true, []string{"d", "y"}, []string{"host deny kann"}},
		{"d asks first; n keeps the knock", true, []string{"d", "n"}, nil},
		{"a guest's a and d do nothing", false, []string{"a", "d", "y"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, rec := withKnocks(t, tt.host)
			press(t, m, tt.keys...)
			if strings.Join(rec.calls, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("asked for %q, want %q", rec.calls, tt.want)
			}
		})
	}
}

func TestKnockEndedLeavesTheBar(t *testing.T) {
	m, rec := withKnocks(t, true)
	mm, _ := m.Update(EventMsg{Event: client.KnockEnded{KnockEnded: api.KnockEnded{ID: "kann", Reason: api.KnockAdmitted}}})
	m = mm.(Model)
	text := termimg.StripANSI(m.View().Content)
	if strings.Contains(text, "Zoe asks to join: a admit") || !strings.Contains(text, "🚪 Yan asks to join") {
		t.Fatalf("after Zoe's knock ended the bar should name Yan:\n%s", text)
	}
	press(t, m, "a")
	if strings.Join(rec.calls, "|") != "host admit kbo" {
		t.Fatalf("a after the first knock ended asked for %q", rec.calls)
	}
	mm, _ = m.Update(EventMsg{Event: client.KnockEnded{KnockEnded: api.KnockEnded{ID: "kbo", Reason: api.KnockLeft}}})
	if text := termimg.StripANSI(mm.(Model).View().Content); strings.Contains(text, "🚪") {
		t.Fatal("the knock line stays with nobody knocking")
	}
}

func TestGoldenPrejoinLockedKnocks(t *testing.T) {
	th, _ := theme.Lookup("aperitivo")
	cfg := PrejoinConfig{
		Room:  api.Room{Name: "Friday drinks", State: "open", StartsAt: t0, Participants: 2, Locked: true},
		Theme: th, Name: "Ann", Profile: termimg.TrueColor, Now: func() time.Time { return t0 },
		Camera: "test pattern", Mic: "test tone (440 Hz)", Sound: "sound off (--no-audio)",
		HasCamera: true, Knock: true,
	}
	var m tea.Model = NewPrejoin(cfg)
	m, _ = m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
	text := termimg.StripANSI(m.View().Content)
	for _, want := range []string{"joining asks the host to let you in", "Ask to join", "Ask with camera off"} {
		if !strings.Contains(text, want) {
			t.Errorf("the locked pre-join lacks %q", want)
		}
	}
	golden(t, "prejoin-locked-knock.golden", m.View().Content)
}
