package tui

import (
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// A media failure stays under the status bar until media arrives.
func TestMediaFailedNotice(t *testing.T) {
	m, _ := callWith(t, 2, 140, 40, false)
	step := func(ev client.Event) string {
		mm, _ := m.Update(EventMsg{Event: ev})
		m = mm.(Model)
		return termimg.StripANSI(m.View().Content)
	}
	const why = "media could not connect: tried UDP to 192.0.2.1:7882; UDP may be blocked on this network"
	if s := step(client.MediaFailed{PC: api.PCSubscribe, Transports: []string{"udp 192.0.2.1:7882"}, Reason: why + "\x1b[2J"}); !strings.Contains(s, why) || strings.Contains(s, "\x1b[2J") {
		t.Fatalf("the media failure is not shown (or shown raw):\n%s", s)
	}
	if s := step(client.Reconnecting{Attempt: 1}); !strings.Contains(s, why) {
		t.Errorf("the notice went while reconnecting:\n%s", s)
	}
	if s := step(client.RemoteTrack{Info: api.Track{ID: "t", ParticipantID: "pBo", Kind: api.KindAudio}}); strings.Contains(s, "media could not connect") {
		t.Errorf("the notice stayed after media arrived:\n%s", s)
	}
}
