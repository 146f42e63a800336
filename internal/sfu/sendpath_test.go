package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestFrameLeavesInOneMessage: a video frame of several packets reaches
// every subscriber whole, in order and numbered without a gap, and each
// subscriber's packets of a frame leave the media socket as one UDP GSO
// message (Linux): the reader holds a frame until its marker bit and
// writes it subscriber after subscriber. Sent packet by packet, no two
// datagrams to one subscriber would share a message.
func TestFrameLeavesInOneMessage(t *testing.T) {
	if sendPath != "frames" {
		t.Skipf("built with sendPath %q", sendPath)
	}
	s := newTestSFU(t)
	if s.batch == nil {
		t.Skip("no batched sends here")
	}
	r := s.NewRouter("frames", nopEvents{})
	defer r.Close()
	pub := newTestClient(t, r, "pub", clientAPI(t))
	lean := leanClientAPI(t)
	subs := []*testClient{newTestClient(t, r, "sub0", lean), newTestClient(t, r, "sub1", lean)}
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
	if err != nil {
		t.Fatal(err)
	}
	pub.publish(track)
	// A frame: two packets of 1,000 bytes and a last of 600, marked with
	// their frame and place.
	seq, ts := uint16(0), uint32(0)
	sendFrame := func(frame int) {
		ts += 6000
		for i, size := range []int{1000, 1000, 600} {
			seq++
			p := make([]byte, size)
			p[0], p[1] = byte(frame), byte(i)
			_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 1, SequenceNumber: seq, Timestamp: ts, Marker: i == 2}, Payload: p})
		}
	}
	remotes := make([]*webrtc.TrackRemote, len(subs))
	for i, sc := range subs {
		deadline := time.After(20 * time.Second)
	wait:
		for {
			select {
			case remotes[i] = <-sc.tracks:
				break wait
			case <-time.After(20 * time.Millisecond):
				sendFrame(0)
			case <-deadline:
				t.Fatalf("subscriber %d never got the track", i)
			}
		}
	}
	// Read each subscriber's packets until frame 1 starts, then note all.
	type got struct {
		frame, place byte
		seq          uint16
	}
	results := make([]chan []got, len(subs))
	const frames = 20
	for i, tr := range remotes {
		results[i] = make(chan []got, 1)
		go func() {
			var all []got
			for len(all) < 3*frames {
				p, _, err := tr.ReadRTP()
				if err != nil {
					break
				}
				if p.Payload[0] == 0 {
					continue // the frames that set up the call
				}
				all = append(all, got{p.Payload[0], p.Payload[1], p.SequenceNumber})
			}
			results[i] <- all
		}()
	}
	before := s.SendStats()
	for f := 1; f <= frames; f++ {
		sendFrame(f)
		time.Sleep(5 * time.Millisecond)
	}
	for i, ch := range results {
		var all []got
		select {
		case all = <-ch:
		case <-time.After(20 * time.Second):
			t.Fatalf("subscriber %d: not all %d frames arrived", i, frames)
		}
		for k, g := range all {
			want := got{byte(1 + k/3), byte(k % 3), all[0].seq + uint16(k)}
			if g != want {
				t.Fatalf("subscriber %d, packet %d: frame %d place %d seq %d, want frame %d place %d seq %d",
					i, k, g.frame, g.place, g.seq, want.frame, want.place, want.seq)
			}
		}
	}
	after := s.SendStats()
	segmented := after.Segmented - before.Segmented
	if segmented < frames*3 {
		t.Errorf("%d datagrams left in GSO messages while %d frames of 3 went to 2 subscribers, want at least %d (stats %+v)",
			segmented, frames, frames*3, after)
	}
	t.Logf("sent %+v", after)
}
