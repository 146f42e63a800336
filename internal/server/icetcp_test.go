package server

import (
	"context"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestCallOverICETCP: a whole roomsd with its defaults (ICE over TCP on),
// one participant limited to UDP and one to TCP (as a client whose UDP is
// blocked): each receives the other's frames, so the TCP one's media went
// through roomsd's TCP listener both ways.
func TestCallOverICETCP(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{MaxParticipants: 4})
	if err != nil {
		t.Fatal(err)
	}
	udp, err := joinWith(t, c, r.ID, "udp", client.JoinOptions{Transport: client.TransportUDP})
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := joinWith(t, c, r.ID, "tcp", client.JoinOptions{Transport: client.TransportTCP})
	if err != nil {
		t.Fatal(err)
	}
	tcp.waitFrames(t, "udp")
	udp.waitFrames(t, "tcp")
}
