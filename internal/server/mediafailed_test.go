package server

import (
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// blockedAPI makes PeerConnections on a network where nothing reaches the
// server's media port: the IP filter lets no local address gather a
// candidate, so every pair fails, after short ICE timeouts.
func blockedAPI(t *testing.T) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(net.IP) bool { return false })
	se.SetICETimeouts(time.Second, time.Second, 200*time.Millisecond)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// A participant whose media cannot reach the server is told so, with
// the transports that were tried, instead of sitting in a silent call.
func TestMediaFailedIsReported(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := join(t, c, r.ID, "ann", "", nil); err != nil {
		t.Fatal(err)
	}
	bo, err := joinWith(t, c, r.ID, "bo", client.JoinOptions{API: blockedAPI(t)})
	if err != nil {
		t.Fatal(err)
	}
	ev := bo.waitEvent(t, "media failed", func(ev client.Event) bool { _, ok := ev.(client.MediaFailed); return ok })
	mf := ev.(client.MediaFailed)
	if !slices.ContainsFunc(mf.Transports, func(t string) bool { return strings.HasPrefix(t, "udp 127.0.0.1:") }) {
		t.Errorf("MediaFailed tried %q, want the server's UDP candidate on 127.0.0.1", mf.Transports)
	}
	if !strings.Contains(mf.Reason, "UDP may be blocked") {
		t.Errorf("MediaFailed says %q, want it to say UDP may be blocked", mf.Reason)
	}
	// It tries again with fresh connections, as after a drop, and the
	// other connection failing too is not news again.
	again := 0
	bo.waitEvent(t, "reconnecting", func(ev client.Event) bool {
		if _, ok := ev.(client.MediaFailed); ok {
			again++
		}
		_, ok := ev.(client.Reconnecting)
		return ok
	})
	if again > 0 {
		t.Errorf("%d more MediaFailed before reconnecting, want one per session", again)
	}
}
