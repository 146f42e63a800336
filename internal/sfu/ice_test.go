package sfu

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/rtctest"
	"github.com/rooms-dev/rooms/pkg/api"
)

// bystander is a UDP socket on loopback that no client uses for media:
// the address a participant names to make the server probe it.
type bystander struct {
	conn *net.UDPConn
	port int
}

func newBystander(t *testing.T) *bystander {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &bystander{conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port}
}

func (b *bystander) candidate(foundation int) string {
	return fmt.Sprintf("candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host", foundation, b.port)
}

// received counts the packets that reached it, waiting at most wait for
// the next one.
func (b *bystander) received(wait time.Duration) int {
	n := 0
	buf := make([]byte, 1500)
	for {
		_ = b.conn.SetReadDeadline(time.Now().Add(wait))
		if _, _, err := b.conn.ReadFrom(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				return -1
			}
			return n
		}
		n++
	}
}

// TestServerProbesNoNamedCandidate: a participant names two loopback
// sockets it never uses as its candidates, one in its offer and one
// trickled, on both connections; the server (ICE-lite) answers the
// client's checks and sends nothing to either socket while the call
// connects and carries media. On a full ICE agent, the server checks
// every pair it makes from these candidates at once.
func TestServerProbesNoNamedCandidate(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("ice", nopEvents{})
	defer r.Close()
	inOffer, trickled := newBystander(t), newBystander(t)
	watcher := newTestClient(t, r, "watcher", clientAPI(t))
	pub := newTestClient(t, r, "pub", clientAPI(t))

	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.pub.AddTrack(tr); err != nil {
		t.Fatal(err)
	}
	offer, err := pub.pub.CreateOffer(nil)
	if err == nil {
		err = pub.pub.SetLocalDescription(offer)
	}
	if err != nil {
		t.Fatal(err)
	}
	// The named candidates go first, before any real one.
	sdp := withLine(pub.pub.LocalDescription().SDP, "a=mid:0", "a="+inOffer.candidate(1))
	if err := pub.peer.HandleOffer(api.SDP{PC: api.PCPublish, SDP: sdp}); err != nil {
		t.Fatal(err)
	}
	mid, idx := "0", uint16(0)
	for _, pc := range []api.PeerConnection{api.PCPublish, api.PCSubscribe} {
		if err := pub.peer.HandleCandidate(api.Candidate{PC: pc, Candidate: trickled.candidate(2), SDPMid: &mid, SDPMLineIndex: &idx}); err != nil {
			t.Fatal(err)
		}
	}
	stop := writeVP8(tr)
	defer stop()
	// The watcher publishes too, so the publisher's subscribe
	// connection is offered and takes the candidate held for it.
	wtr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "w", "watcher")
	if err != nil {
		t.Fatal(err)
	}
	watcher.publish(wtr)
	wstop := writeVP8(wtr)
	defer wstop()

	// Connected both ways, with media through: the server has had its
	// chance to check every pair.
	got := make(chan struct{})
	go func() {
		<-watcher.tracks
		<-pub.tracks
		close(got)
	}()
	var mu sync.Mutex
	rtctest.Wait(t, "each receives the other's track", &mu, func() bool {
		select {
		case <-got:
			return true
		default:
			return false
		}
	})
	rtctest.Wait(t, "both of the publisher's connections connected", &mu, func() bool {
		return pub.pub.ConnectionState() == webrtc.PeerConnectionStateConnected &&
			pub.sub.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
	for name, b := range map[string]*bystander{"named in the offer": inOffer, "trickled": trickled} {
		if n := b.received(500 * time.Millisecond); n != 0 {
			t.Errorf("the socket %s (127.0.0.1:%d) got %d packets from the server, want none", name, b.port, n)
		}
	}
}

// writeVP8 sends a keyframe-looking VP8 packet every 20 ms until stopped.
func writeVP8(tr *webrtc.TrackLocalStaticRTP) (stop func()) {
	done := make(chan struct{})
	go func() {
		seq := uint16(0)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				seq++
				_, _ = tr.Write(vp8Packet(seq))
			}
		}
	}()
	return func() { close(done) }
}

// vp8Packet is a marshalled RTP packet with a VP8 keyframe payload start.
func vp8Packet(seq uint16) []byte {
	b := []byte{0x80, 96, byte(seq >> 8), byte(seq), 0, 0, 0, byte(seq), 0, 0, 0, 1, 0x10, 0x00, 0x9d, 0x01, 0x2a}
	return []byte(strings.Clone(string(b)))
}
