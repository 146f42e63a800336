package client

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/rtctest"
)

func TestAddSimulcastTrackRefuses(t *testing.T) {
	layer := func(id, rid string) webrtc.TrackLocal {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, id, "me", webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	tests := []struct {
		name   string
		layers []webrtc.TrackLocal
		want   string
	}{
		{"no layers", nil, "no layers"},
		{"a layer without a RID", []webrtc.TrackLocal{layer("video", "q"), layer("video", "")}, "needs a RID"},
		{"two layers with one RID", []webrtc.TrackLocal{layer("video", "q"), layer("video", "q")}, `two layers have RID "q"`},
		{"layers of two tracks", []webrtc.TrackLocal{layer("video", "q"), layer("other", "h")}, `layer "h"`},
	}
	api, err := defaultAPI(true, &audioLevels{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pc, err := api.NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			_, err = AddSimulcastTrack(pc, tt.layers...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if n := len(pc.GetSenders()); n != 0 {
				t.Errorf("%d senders left on the connection after a refusal", n)
			}
		})
	}
}

// TestAddSimulcastTrack: three layers on one sender reach a pion receiver
// (whose MediaEngine is the client's) as three tracks with their RIDs,
// each carrying its own packets; a PLI on one layer reaches that layer's
// RTCP reader and no other.
func TestAddSimulcastTrack(t *testing.T) {
	api, err := defaultAPI(true, &audioLevels{}, "")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	recv, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	rids := []string{"q", "h", "f"}
	var layers []webrtc.TrackLocal
	var writers []*webrtc.TrackLocalStaticRTP
	for _, rid := range rids {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "me", webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
		layers, writers = append(layers, tr), append(writers, tr)
	}
	sender, err := AddSimulcastTrack(pub, layers...)
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	ssrcs := map[string]webrtc.SSRC{}
	wrong := map[string]int{} // packets of another layer's marker on a track
	asked := map[string]int{} // keyframe requests each layer's reader saw
	var wg sync.WaitGroup
	recv.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		rid := remote.RID()
		mu.Lock()
		ssrcs[rid] = remote.SSRC()
		mu.Unlock()
		if remote.ID() != "video" || remote.StreamID() != "me" {
			t.Errorf("layer %s arrived as %s/%s, want video/me", rid, remote.ID(), remote.StreamID())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				p, _, err := remote.ReadRTP()
				if err != nil {
					return
				}
				if len(p.Payload) == 0 || string(p.Payload[len(p.Payload)-1:]) != rid {
					mu.Lock()
					wrong[rid]++
					mu.Unlock()
				}
			}
		}()
	})
	for _, rid := range rids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readKeyframeRequests(sender, rid, func() {
				mu.Lock()
				asked[rid]++
				mu.Unlock()
			})
		}()
	}
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // each layer's packets end with its RID
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for i, w := range writers {
				_ = w.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 3000}, Payload: []byte{0x10, 0, rids[i][0]}})
			}
		}
	}()
	defer func() {
		close(stop)
		_ = pub.Close()
		_ = recv.Close()
		wg.Wait()
	}()

	signal(t, pub, recv)
	if sdp := pub.LocalDescription().SDP; !strings.Contains(sdp, "a=simulcast:send q;h;f") {
		t.Errorf("the offer has no a=simulcast:send q;h;f:\n%s", sdp)
	}
	waitUntil(t, "three layers", func() bool { return len(ssrcs) == 3 }, &mu)
	mu.Lock()
	h := ssrcs["h"]
	mu.Unlock()
	if err := recv.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(h)}}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the PLI on layer h", func() bool { return asked["h"] > 0 }, &mu)
	mu.Lock()
	defer mu.Unlock()
	if asked["q"] != 0 || asked["f"] != 0 {
		t.Errorf("keyframe requests seen per layer: %v; want only h", asked)
	}
	for rid, n := range wrong {
		t.Errorf("layer %s got %d packets that are not its own", rid, n)
	}
}

func signal(t *testing.T, a, b *webrtc.PeerConnection) {
	t.Helper()
	rtctest.Connect(t, a, b)
}

// waitUntil: see rtctest.Wait.
func waitUntil(t *testing.T, what string, cond func() bool, mu *sync.Mutex) {
	t.Helper()
	rtctest.Wait(t, what, mu, cond)
}
