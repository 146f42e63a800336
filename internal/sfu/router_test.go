package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type recEvents struct {
	published, unpublished chan string
}

func (e recEvents) TrackPublished(t apiTrack)     { e.published <- t.ParticipantID }
func (e recEvents) TrackUnpublished(t apiTrack)   { e.unpublished <- t.ParticipantID }
func (recEvents) PeerFailed(string)               {}
func (recEvents) Speaking(string, bool)           {}
func (recEvents) AllowTrack(string, apiKind) bool { return true }

// TestRouterForwardsAndAsksForKeyframes checks the two things a new
// subscriber needs: the publisher's packets, with header extensions
// stripped, and a keyframe request sent up to the publisher.
func TestRouterForwardsAndAsksForKeyframes(t *testing.T) {
	s := newTestSFU(t)
	ev := recEvents{published: make(chan string, 8), unpublished: make(chan string, 8)}
	r := s.NewRouter("test", ev)
	defer r.Close()
	wapi := clientAPI(t)
	pub := newTestClient(t, r, "pub", wapi)
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
	if err != nil {
		t.Fatal(err)
	}
	sender, err := pub.pub.AddTrack(track)
	if err != nil {
		t.Fatal(err)
	}
	plis := make(chan struct{}, 16)
	go func() {
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					plis <- struct{}{}
				}
			}
		}
	}()
	offer, _ := pub.pub.CreateOffer(nil)
	_ = pub.pub.SetLocalDescription(offer)
	if err := pub.peer.HandleOffer(apiSDP(pub.pub.LocalDescription().SDP)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: []byte{0x10, 0x01, 0x02, 0x03}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				pkt.SequenceNumber++
				_ = pkt.Header.SetExtension(5, []byte{0xaa})
				_ = track.WriteRTP(pkt)
			}
		}
	}()
	select {
	case who := <-ev.published:
		if who != "pub" {
			t.Fatalf("published by %q", who)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the track was never published")
	}

	sub := newTestClient(t, r, "sub", wapi)
	var remote *webrtc.TrackRemote
	select {
	case remote = <-sub.tracks:
	case <-time.After(20 * time.Second):
		t.Fatal("the subscriber never got the track")
	}
	if remote.StreamID() != "pub" {
		t.Errorf("the track's stream id is %q, want the publisher's id", remote.StreamID())
	}
	got, _, err := remote.ReadRTP()
	if err != nil {
		t.Fatal(err)
	}
	// The subscriber's connection has extensions of its own (the SFU's
	// transport-wide numbers, maybe with the same id): the publisher's
	// value must not be among them.
	for _, id := range got.GetExtensionIDs() {
		if b := got.GetExtension(id); len(b) == 1 && b[0] == 0xaa {
			t.Errorf("the publisher's header extension reached the subscriber (id %d)", id)
		}
	}
	select {
	case <-plis:
	case <-time.After(20 * time.Second):
		t.Fatal("no keyframe request reached the publisher")
	}

	r.RemovePeer("pub")
	select {
	case <-ev.unpublished:
	case <-time.After(20 * time.Second):
		t.Fatal("removing the publisher did not unpublish its track")
	}
	if _, _, err := remote.ReadRTP(); err == nil {
		// Packets already buffered may still come; the track must end soon.
		deadline := time.Now().Add(20 * time.Second)
		for err == nil && time.Now().Before(deadline) {
			_, _, err = remote.ReadRTP()
		}
		if err == nil {
			t.Fatal("the subscriber's track did not end")
		}
	}
}
