package client

import (
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/pkg/api"
)

func TestTransportOf(t *testing.T) {
	for _, tt := range []struct {
		cand, want string
		ok         bool
	}{
		{"candidate:1 1 udp 2130706431 192.0.2.1 7882 typ host", "udp 192.0.2.1:7882", true},
		{"candidate:2 1 TCP 1671430143 2001:db8::1 7882 typ host tcptype passive", "tcp [2001:db8::1]:7882", true},
		{"candidate:3 1 udp 16777215 198.51.100.7 3478 typ relay raddr 0.0.0.0 rport 0", "udp 198.51.100.7:3478 (relay)", true},
		{"candidate:4 1 udp", "", false},
		{"ice-ufrag:abc", "", false},
	} {
		got, ok := transportOf(tt.cand)
		if got != tt.want || ok != tt.ok {
			t.Errorf("transportOf(%q) = %q, %v; want %q, %v", tt.cand, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMediaFailedReason(t *testing.T) {
	for _, tt := range []struct {
		tried []string
		want  string
	}{
		{nil, "offered no address"},
		{[]string{"udp 192.0.2.1:7882"}, "tried UDP to 192.0.2.1:7882; UDP may be blocked"},
		{[]string{"tcp 192.0.2.1:7882", "udp 192.0.2.1:7882"}, "tried UDP and TCP to 192.0.2.1:7882; UDP may be blocked on this network, and TCP to the media port too"},
		{[]string{"tcp 192.0.2.1:7882", "udp 192.0.2.1:7882", "udp 198.51.100.2:3478 (relay)"}, "tried tcp 192.0.2.1:7882, udp 192.0.2.1:7882, udp 198.51.100.2:3478 (relay); this network may block them"},
	} {
		if got := mediaFailedReason(tt.tried); !strings.Contains(got, tt.want) {
			t.Errorf("mediaFailedReason(%q) = %q, want it to contain %q", tt.tried, got, tt.want)
		}
	}
}

// TestServerSaysMediaFailed: the server's side of the media giving up
// first (its close with api.CloseMediaFailed) is a MediaFailed too, then
// a reconnect as the same participant.
func TestServerSaysMediaFailed(t *testing.T) {
	f := &fakeRoom{session: func(n int, ws *websocket.Conn) {
		if n == 1 {
			ws.Close(websocket.StatusNormalClosure, api.CloseMediaFailed)
			return
		}
		readUntilClosed(n, ws)
	}}
	call := f.join(t, JoinOptions{})
	var got []string
	for e := range call.Events() {
		switch e := e.(type) {
		case Joined:
			got = append(got, "joined "+e.You.ID)
		case MediaFailed:
			got = append(got, "media failed "+string(e.PC))
			if !strings.HasPrefix(e.Reason, "media could not connect") {
				t.Errorf("MediaFailed.Reason = %q", e.Reason)
			}
		case Reconnecting:
			got = append(got, "reconnecting")
		}
		if len(got) == 4 {
			break
		}
	}
	if want := []string{"joined p1", "media failed ", "reconnecting", "joined p1"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", got, want)
	}
}
