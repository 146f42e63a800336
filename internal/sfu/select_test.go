package sfu

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestPausedVideoResumesWithoutAHole: video a subscriber hides stops, and
// when shown again its sequence numbers carry on from the last it got, so
// the subscriber sees nothing lost and asks for nothing.
func TestPausedVideoResumesWithoutAHole(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("pause", nopEvents{})
	defer r.Close()
	pub := newTestClient(t, r, "pub", clientAPI(t))
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
	if err != nil {
		t.Fatal(err)
	}
	pub.publish(track)
	sub := newTestClient(t, r, "sub", leanClientAPI(t))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: []byte{0x10, 1, 2, 3}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				pkt.SequenceNumber++
				_ = track.WriteRTP(pkt)
			}
		}
	}()
	var remote *webrtc.TrackRemote
	select {
	case remote = <-sub.tracks:
	case <-time.After(20 * time.Second):
		t.Fatal("the subscriber never got the track")
	}
	var last atomic.Uint32 // last sequence number + 1<<16 once one arrived
	var count atomic.Int64
	holes := make(chan [2]uint16, 16)
	go func() {
		for {
			p, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			if l := last.Load(); l != 0 && uint16(l)+1 != p.SequenceNumber {
				holes <- [2]uint16{uint16(l), p.SequenceNumber}
			}
			last.Store(1<<16 | uint32(p.SequenceNumber))
			count.Add(1)
		}
	}()
	arriving := func() bool {
		n := count.Load()
		time.Sleep(300 * time.Millisecond)
		return count.Load() > n
	}
	for !arriving() {
	}
	id := r.allForwarders()[0].info.ID
	sub.peer.SetHidden([]string{id})
	deadline := time.Now().Add(20 * time.Second)
	for arriving() {
		if time.Now().After(deadline) {
			t.Fatal("hidden video kept coming")
		}
	}
	time.Sleep(200 * time.Millisecond) // the publisher moves on meanwhile
	sub.peer.SetHidden(nil)
	for !arriving() {
		if time.Now().After(deadline) {
			t.Fatal("video shown again did not come back")
		}
	}
	select {
	case h := <-holes:
		t.Fatalf("the sequence jumped from %d to %d across the pause", h[0], h[1])
	default:
	}
}

// levelAPI is a client that puts audio levels on its audio packets.
func levelAPI(t *testing.T) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(codecOpus, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(&interceptor.Registry{}), webrtc.WithSettingEngine(se))
}

// TestOnlyTheLoudestAreHeard: of five voices, a listener receives the
// three loudest; one that starts speaking is heard at once.
func TestOnlyTheLoudestAreHeard(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("voices", nopEvents{})
	defer r.Close()
	listener := newTestClient(t, r, "listener", leanClientAPI(t))
	levels := make([]atomic.Int32, 5) // -dBov each voice sends: 20 speech, 90 quiet
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for i := range levels {
		levels[i].Store(90)
		if i < 2 {
			levels[i].Store(20)
		}
		c := newTestClient(t, r, fmt.Sprintf("v%d", i), levelAPI(t))
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "a", c.id)
		if err != nil {
			t.Fatal(err)
		}
		c.publish(track)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111}, Payload: []byte{0xfc, 0xff, 0xfe}}
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				var extID uint8
				for _, tr := range c.pub.GetTransceivers() {
					for _, e := range tr.Sender().GetParameters().HeaderExtensions {
						if e.URI == AudioLevelURI {
							extID = uint8(e.ID)
						}
					}
				}
				pkt.SequenceNumber++
				pkt.Timestamp += 960
				if extID != 0 {
					_ = pkt.SetExtension(extID, []byte{uint8(levels[i].Load())})
				}
				_ = track.WriteRTP(pkt)
			}
		}()
	}
	// A voice held back from the start reaches the listener's OnTrack
	// only once it is let through: count whatever arrives, as it does.
	counts := map[string]*atomic.Int64{}
	var mu sync.Mutex
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var tr *webrtc.TrackRemote
			select {
			case <-stop:
				return
			case tr = <-listener.tracks:
			}
			n := &atomic.Int64{}
			mu.Lock()
			counts[tr.StreamID()] = n
			mu.Unlock()
			go func() {
				buf := make([]byte, 1500)
				for {
					if _, _, err := tr.Read(buf); err != nil {
						return
					}
					n.Add(1)
				}
			}()
		}
	}()
	// heard lists who is arriving over half a second.
	heard := func() map[string]bool {
		before := map[string]int64{}
		mu.Lock()
		for id, n := range counts {
			before[id] = n.Load()
		}
		mu.Unlock()
		time.Sleep(500 * time.Millisecond)
		out := map[string]bool{}
		mu.Lock()
		defer mu.Unlock()
		for id, n := range counts {
			if n.Load() > before[id]+5 {
				out[id] = true
			}
		}
		return out
	}
	wait := func(what string, ok func(map[string]bool) bool) {
		t.Helper()
		var h map[string]bool
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			if h = heard(); ok(h) {
				return
			}
		}
		t.Fatalf("never %s; hearing %v", what, h)
	}
	wait("the two speakers and one more, three in all", func(h map[string]bool) bool {
		return len(h) == DefaultForwardVoices && h["v0"] && h["v1"]
	})
	// A quiet one that starts speaking is heard.
	var quiet string
	for _, id := range []string{"v2", "v3", "v4"} {
		if !heard()[id] {
			quiet = id
			break
		}
	}
	if quiet == "" {
		t.Fatal("everyone is heard; want one quiet voice held back")
	}
	levels[quiet[1]-'0'].Store(15)
	wait(quiet+" heard once speaking", func(h map[string]bool) bool { return h[quiet] && h["v0"] && h["v1"] })
}
