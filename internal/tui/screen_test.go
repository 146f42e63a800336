package tui

import (
	"errors"
	"image"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// sharing has who start sharing a screen showing the screen test pattern,
// as the decoder would.
func sharing(m Model, who ...string) Model {
	for _, id := range who {
		m.cfg.Frames.Put(screenKey(id), media.ScreenPattern(1280, 720, 3))
		mm, _ := m.Update(EventMsg{Event: client.RemoteTrack{Info: api.Track{ID: "s" + id, ParticipantID: id, Kind: api.KindScreen}}})
		m = mm.(Model)
	}
	return m
}

func step(m Model, ev client.Event) Model {
	mm, _ := m.Update(EventMsg{Event: ev})
	return mm.(Model)
}

func TestGoldenScreenViews(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		w, h     int
		sharers  []string
		keys     []string
		wantText []string
	}{
		{"call-screen-6-160x48.golden", 6, 160, 48, []string{"pAnn"}, nil, []string{"SHARING", "Ann's screen", "Fay"}},
		{"call-screen-2of2-120x40.golden", 6, 120, 40, []string{"pAnn", "pBo"}, []string{"["}, []string{"Ann's screen", "1/2", "[ ] next screen", "Fay"}},
		{"call-screen-80x24.golden", 2, 80, 24, []string{"pBo"}, nil, []string{"Bo's screen"}},
		{"call-screen-me-160x48.golden", 6, 160, 48, nil, []string{"s"}, []string{"💻 sharing", "You are sharing your screen"}},
		{"call-screen-4-self-view-160x48.golden", -4, 160, 48, []string{"pAnn"}, nil, []string{"Dee", "you"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := tt.n
			if n < 0 { // negative: with the self-view
				n = -n
			}
			m, _ := callWith(t, n, tt.w, tt.h, false)
			if tt.n < 0 {
				m.cfg.SelfView = func() image.Image { return media.Pattern(320, 240, 99, media.DefaultLabel) }
			}
			m = press(t, sharing(m, tt.sharers...), tt.keys...)
			v := m.View()
			lines := strings.Split(v.Content, "\n")
			if len(lines) > tt.h {
				t.Errorf("%d lines in a terminal of %d", len(lines), tt.h)
			}
			for i, l := range lines {
				if w := termimg.CellWidth(l); w > tt.w {
					t.Errorf("line %d is %d cells wide in a terminal of %d", i, w, tt.w)
				}
			}
			text := termimg.StripANSI(v.Content)
			for _, want := range tt.wantText {
				if !strings.Contains(text, want) {
					t.Errorf("the view does not say %q", want)
				}
			}
			if len(tt.sharers) > 0 && !strings.Contains(v.Content, ";2;255;112;0") && !strings.Contains(v.Content, ";2;254;112;0") {
				// The pattern's orange quadrant, drawn in truecolor.
				t.Error("the shared screen's orange quadrant is not drawn")
			}
			golden(t, tt.name, v.Content)
		})
	}
}

func TestScreenSharing(t *testing.T) {
	t.Run("s shares and stops", func(t *testing.T) {
		m, rec := callWith(t, 2, 120, 40, false)
		m = press(t, m, "s")
		if !m.sharing || !strings.Contains(termimg.StripANSI(m.View().Content), "💻 sharing") {
			t.Error("after s the status bar does not say sharing")
		}
		m.notice = "" // the help line shows once the notice is gone
		if !strings.Contains(termimg.StripANSI(m.helpLine()), "s stop sharing") {
			t.Error("while sharing, the key help does not say s stops it")
		}
		m = press(t, m, "s")
		if m.sharing || !slices.Equal(rec.calls, []string{"share on", "share off"}) {
			t.Errorf("sharing %v, asked for %q", m.sharing, rec.calls)
		}
	})
	t.Run("a share that cannot start says why", func(t *testing.T) {
		m, rec := callWith(t, 2, 120, 40, false)
		rec.shareErr = errors.New("cannot share your screen: no X display to share: DISPLAY is not set")
		m = press(t, m, "s")
		if m.sharing || !strings.Contains(termimg.StripANSI(m.View().Content), "DISPLAY is not set") {
			t.Errorf("sharing %v; the reason is not shown", m.sharing)
		}
	})
	t.Run("refused for want of a slot, with who is sharing", func(t *testing.T) {
		m, _ := callWith(t, 2, 160, 40, false)
		m = press(t, m, "s")
		m = step(m, client.ServerError{SignalError: api.SignalError{Code: api.CodeScreenShareLimit, Message: "full", Sharers: []string{"Ann", "Bo"}}})
		if m.sharing {
			t.Error("still sharing after the refusal")
		}
		if s := termimg.StripANSI(m.View().Content); !strings.Contains(s, "Screen sharing is full: Ann and Bo are sharing") {
			t.Errorf("the refusal does not name the sharers:\n%s", s)
		}
	})
	t.Run("a refusal that comes before the start reports wins", func(t *testing.T) {
		m, _ := callWith(t, 2, 160, 40, false)
		mm, cmd := m.Update(tea.KeyPressMsg{Code: 's', Text: "s"})
		m = step(mm.(Model), client.ServerError{SignalError: api.SignalError{Code: api.CodeScreenShareLimit, Sharers: []string{"Ann"}}})
		mm, _ = m.Update(cmd())
		if m = mm.(Model); m.sharing {
			t.Error("sharing after the server refused the screen")
		}
	})
	t.Run("screens take the spotlight, cycle, and leave it", func(t *testing.T) {
		m, _ := callWith(t, 3, 160, 48, false)
		m = sharing(m, "pAnn", "pBo")
		if got := m.spotScreen(); got != "pBo" {
			t.Fatalf("the newest share is not in the spotlight: %q", got)
		}
		if !slices.Contains(m.shown(), screenKey("pBo")) || slices.Contains(m.shown(), screenKey("pAnn")) {
			t.Errorf("decoding %v: want Bo's screen, not Ann's", m.shown())
		}
		m = press(t, m, "]")
		if m.spotScreen() != "pAnn" {
			t.Errorf("] did not go to the next screen: %q", m.spotScreen())
		}
		m = press(t, m, "right", "p")
		if m.spotScreen() != "" {
			t.Error("pinning a person did not take the spotlight from the screen")
		}
		m = press(t, m, "esc")
		m = step(m, client.TrackUnpublished{Track: api.Track{ParticipantID: "pAnn", Kind: api.KindScreen}})
		if m.spotScreen() != "pBo" {
			t.Errorf("after Ann stopped, the spotlight shows %q, want Bo", m.spotScreen())
		}
		m = step(m, client.ParticipantLeft{ParticipantLeft: api.ParticipantLeft{ID: "pBo"}})
		if m.spotScreen() != "" || len(m.screens) != 0 {
			t.Errorf("a sharer who left is still in the spotlight: %v", m.screens)
		}
		if s := termimg.StripANSI(m.View().Content); strings.Contains(s, "SHARING") {
			t.Error("the screen header stayed after every share ended")
		}
	})
}
