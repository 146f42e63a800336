package sfu

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// numberedVideo starts a call on a new SFU with one publisher sending a
// VP8 packet every 5 ms whose payload names its sequence number, and one
// subscriber without interceptors (it sends only the RTCP a test writes)
// and without SRTP replay protection (on loopback nothing is lost, so a
// test's NACKs ask for packets it already has). It returns once the
// subscriber has the track; everything stops when the test ends.
func numberedVideo(t *testing.T, room string) (*SFU, *testClient, *webrtc.TrackRemote) {
	t.Helper()
	s := newTestSFU(t)
	r := s.NewRouter(room, nopEvents{})
	t.Cleanup(r.Close)
	pub := newTestClient(t, r, "pub", clientAPI(t))
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
	if err != nil {
		t.Fatal(err)
	}
	pub.publish(track)
	sub := newTestClient(t, r, "sub", leanClientAPI(t, func(se *webrtc.SettingEngine) {
		se.DisableSRTPReplayProtection(true)
	}))
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		var seq uint16
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				seq++
				payload := []byte{0x10, 0, 0, 0xee}
				binary.BigEndian.PutUint16(payload[1:], seq) // the payload names its packet
				_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq}, Payload: payload})
			}
		}
	}()
	select {
	case remote := <-sub.tracks:
		return s, sub, remote
	case <-time.After(20 * time.Second):
		t.Fatal("the subscriber never got the track")
	}
	return nil, nil, nil
}
