package sfu

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestTracksPerParticipantAreBounded: a participant publishing five video
// tracks gets four forwarded; the fifth is refused.
func TestTracksPerParticipantAreBounded(t *testing.T) {
	s := newTestSFU(t)
	ev := recEvents{published: make(chan string, 16), unpublished: make(chan string, 16)}
	r := s.NewRouter("bounds", ev)
	defer r.Close()
	pub := newTestClient(t, r, "pub", clientAPI(t))
	var tracks []*webrtc.TrackLocalStaticRTP
	for i := range maxTracksPerPeer + 1 {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, fmt.Sprintf("v%d", i), "pub")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pub.pub.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
		tracks = append(tracks, tr)
	}
	offer, _ := pub.pub.CreateOffer(nil)
	_ = pub.pub.SetLocalDescription(offer)
	if err := pub.peer.HandleOffer(apiSDP(pub.pub.LocalDescription().SDP)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: []byte{0x10, 1}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				pkt.SequenceNumber++
				for _, tr := range tracks {
					_ = tr.WriteRTP(pkt)
				}
			}
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(r.forwardersOf("pub")) < maxTracksPerPeer {
		if time.Now().After(deadline) {
			t.Fatal("the first four tracks were never forwarded")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.Refused() != 1 {
		t.Errorf("refused = %d, want 1", s.Refused())
	}
	if n := len(r.forwardersOf("pub")); n != maxTracksPerPeer {
		t.Errorf("%d tracks forwarded, want %d", n, maxTracksPerPeer)
	}
}
