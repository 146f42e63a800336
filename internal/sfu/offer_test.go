package sfu

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/rtctest"
	"github.com/rooms-dev/rooms/pkg/api"
)

// hostileOffer is the offer of the attack: n video sections, each as
// short as a browser would send it (145 bytes), 247 KB at 1,700.
func hostileOffer(n int) string {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE")
	for i := range n {
		fmt.Fprintf(&b, " %d", i)
	}
	fmt.Fprintf(&b, "\r\na=msid-semantic: WMS *\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=fingerprint:sha-256 %s\r\n",
		strings.Repeat("AB:", 31)+"AB")
	for i := range n {
		fmt.Fprintf(&b, "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"+
			"a=setup:actpass\r\na=mid:%d\r\na=sendonly\r\na=msid:s t%d\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n", i, i)
	}
	return b.String()
}

// offerWith makes a real pion offer with n video sections.
func offerWith(t *testing.T, n int) string {
	t.Helper()
	pc, err := clientAPI(t).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	for range n {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o.SDP
}

// withLine puts line after the first line starting with after.
func withLine(sdp, after, line string) string {
	i := strings.Index(sdp, after)
	j := i + strings.Index(sdp[i:], "\r\n") + 2
	return sdp[:j] + line + "\r\n" + sdp[j:]
}

// TestOffersAreBounded: offers past the bounds are refused before pion
// applies them, with a code and no answer; a real Chromium offer (camera
// in three simulcast layers, microphone, a screen), eight sending
// sections, and the inactive ones a browser leaves behind pass.
func TestOffersAreBounded(t *testing.T) {
	chromium, err := os.ReadFile("testdata/chromium-offer.sdp")
	if err != nil {
		t.Fatal(err)
	}
	eight := offerWith(t, api.MaxOfferMediaSections)
	manyCands := eight
	for i := range api.MaxCandidates + 1 {
		manyCands = withLine(manyCands, "a=mid:0", fmt.Sprintf("a=candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host", i, 10000+i))
	}
	cases := []struct {
		name string
		sdp  string
		code api.Code // "" when accepted
	}{
		{"the hostile offer of 1,700 sections", hostileOffer(1700), api.CodeTooLarge},
		{"nine sending sections, small", hostileOffer(api.MaxOfferMediaSections + 1), api.CodeTooLarge},
		{"nine sending sections from pion", offerWith(t, api.MaxOfferMediaSections+1), api.CodeTooLarge},
		{"33 inactive sections", strings.ReplaceAll(hostileOffer(api.MaxOfferSections+1), "a=sendonly", "a=inactive"), api.CodeTooLarge},
		{"33 inactive sections, one behind a space", strings.Replace(strings.ReplaceAll(hostileOffer(api.MaxOfferSections+1), "a=sendonly", "a=inactive"), "\r\nm=", "\r\n m=", 1), api.CodeTooLarge},
		{"too many candidates", manyCands, api.CodeTooLarge},
		{"an ICE-lite client", withLine(eight, "t=0 0", "a=ice-lite"), api.CodeInvalidArgument},
		{"eight sections", eight, ""},
		{"eight sending and 24 inactive sections (screens shared and stopped)", strings.Replace(strings.ReplaceAll(hostileOffer(api.MaxOfferSections), "a=sendonly", "a=inactive"), "a=inactive", "a=sendonly", api.MaxOfferMediaSections), ""},
		{"Chromium: microphone, simulcast camera, screen", string(chromium), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSFU(t)
			r := s.NewRouter("offers", nopEvents{})
			defer r.Close()
			c := newTestClient(t, r, "pub", clientAPI(t))
			err := c.peer.HandleOffer(api.SDP{PC: api.PCPublish, SDP: tc.sdp})
			c.recMu.Lock()
			answers := len(c.answers)
			c.recMu.Unlock()
			var ref *Refusal
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if answers != 1 {
					t.Fatalf("%d answers, want 1", answers)
				}
				return
			}
			if !errors.As(err, &ref) || ref.Code != tc.code || ref.Fatal {
				t.Fatalf("err = %v, want a non-fatal %s refusal", err, tc.code)
			}
			if answers != 0 {
				t.Fatalf("the refused offer was answered")
			}
		})
	}
}

// TestOffersAreRateBounded: offers cost their sections from a bucket;
// past it the connection is refused with a fatal rate_limited.
func TestOffersAreRateBounded(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("rate", nopEvents{})
	defer r.Close()
	c := newTestClient(t, r, "pub", clientAPI(t))
	// Nine sections: refused, and charged 1 + 9.
	big := hostileOffer(api.MaxOfferMediaSections + 1)
	var err error
	n := 0
	for n = 0; n < 100; n++ {
		err = c.peer.HandleOffer(api.SDP{PC: api.PCPublish, SDP: big})
		var ref *Refusal
		if errors.As(err, &ref) && ref.Code == api.CodeRateLimited {
			break
		}
	}
	var ref *Refusal
	if !errors.As(err, &ref) || ref.Code != api.CodeRateLimited || !ref.Fatal {
		t.Fatalf("after %d hostile offers: err = %v, want a fatal rate_limited", n, err)
	}
	if want := api.OfferCostBurst / (api.MaxOfferMediaSections + 2); n > want+1 {
		t.Errorf("refused for rate after %d offers, want about %d", n, want)
	}
}

// TestRefusedTrackIsStopped: a fifth sending section is answered
// inactive and its transceiver stopped, so the client sends nothing on
// it; the other four are forwarded.
func TestRefusedTrackIsStopped(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("stop", nopEvents{})
	defer r.Close()
	pub := newTestClient(t, r, "pub", clientAPI(t))
	for i := range maxTracksPerPeer + 1 {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, fmt.Sprintf("v%d", i), "pub")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pub.pub.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	offer, _ := pub.pub.CreateOffer(nil)
	_ = pub.pub.SetLocalDescription(offer)
	if err := pub.peer.HandleOffer(apiSDP(pub.pub.LocalDescription().SDP)); err != nil {
		t.Fatal(err)
	}
	pub.recMu.Lock()
	answer := pub.answers[0]
	pub.recMu.Unlock()
	dirs := directions(answer)
	if len(dirs) != maxTracksPerPeer+1 || dirs[maxTracksPerPeer] != "inactive" {
		t.Fatalf("answer directions %v, want the fifth inactive", dirs)
	}
	for _, d := range dirs[:maxTracksPerPeer] {
		if d != "recvonly" {
			t.Fatalf("answer directions %v, want the first four recvonly", dirs)
		}
	}
	if s.Refused() != 1 {
		t.Errorf("refused = %d, want 1", s.Refused())
	}
	// A renegotiation keeps it stopped.
	rtctest.Wait(t, "the answer applied", &pub.mu, func() bool { return pub.pub.SignalingState() == webrtc.SignalingStateStable })
	offer, _ = pub.pub.CreateOffer(nil)
	_ = pub.pub.SetLocalDescription(offer)
	if err := pub.peer.HandleOffer(apiSDP(pub.pub.LocalDescription().SDP)); err != nil {
		t.Fatal(err)
	}
	pub.recMu.Lock()
	again := directions(pub.answers[1])
	pub.recMu.Unlock()
	if again[maxTracksPerPeer] != "inactive" {
		t.Fatalf("renegotiated answer directions %v, want the fifth still inactive", again)
	}
}

// directions lists the direction attribute of each section of an SDP.
func directions(sdp string) []string {
	var out []string
	for _, sec := range strings.Split(sdp, "\r\nm=")[1:] {
		d := "sendrecv"
		for _, l := range strings.Split(sec, "\r\n") {
			switch l {
			case "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive":
				d = l[2:]
			}
		}
		out = append(out, d)
	}
	return out
}

// TestTogglingIsBounded: a publisher adding and removing a track in a
// loop is refused (rate_limited) long before 100 toggles, and its
// subscriber gets no more offers than there were changes accepted: one
// offer in flight, the next carrying every change meanwhile.
func TestTogglingIsBounded(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("toggle", nopEvents{})
	defer r.Close()
	watcher := newTestClient(t, r, "watcher", clientAPI(t))
	pub := newTestClient(t, r, "pub", clientAPI(t))
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
	if err != nil {
		t.Fatal(err)
	}
	stop := writeVP8(tr)
	defer stop()
	var sender *webrtc.RTPSender
	accepted := 0
	var refusal *Refusal
	for i := 0; i < 100 && refusal == nil; i++ {
		if sender == nil {
			if sender, err = pub.pub.AddTrack(tr); err != nil {
				t.Fatal(err)
			}
		} else {
			if err := pub.pub.RemoveTrack(sender); err != nil {
				t.Fatal(err)
			}
			sender = nil
		}
		offer, err := pub.pub.CreateOffer(nil)
		if err == nil {
			err = pub.pub.SetLocalDescription(offer)
		}
		if err != nil {
			t.Fatal(err)
		}
		err = pub.peer.HandleOffer(apiSDP(pub.pub.LocalDescription().SDP))
		if errors.As(err, &refusal) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted++
		rtctest.Wait(t, "the answer applied", &pub.mu, func() bool { return pub.pub.SignalingState() == webrtc.SignalingStateStable })
	}
	if refusal == nil || refusal.Code != api.CodeRateLimited || !refusal.Fatal {
		t.Fatalf("100 toggles accepted (last refusal %v); want a fatal rate_limited", refusal)
	}
	// Each accepted offer publishes or unpublishes at most one track.
	watcher.recMu.Lock()
	offers := watcher.subOffers
	watcher.recMu.Unlock()
	t.Logf("%d offers accepted, the watcher got %d", accepted, offers)
	if offers > accepted {
		t.Errorf("the watcher got %d offers for %d changes", offers, accepted)
	}
}

// refuseAll refuses every track on arrival, as a call refuses a screen
// past its cap.
type refuseAll struct{ nopEvents }

func (refuseAll) AllowTrack(string, api.TrackKind) bool { return false }

// TestTrackRefusedOnArrivalIsStopped: a track the call refuses when its
// media arrives has its transceiver stopped (pion reads nothing from
// it), instead of a goroutine reading and dropping every packet.
func TestTrackRefusedOnArrivalIsStopped(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("refuse", refuseAll{})
	defer r.Close()
	pub := newTestClient(t, r, "pub", clientAPI(t))
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "screen", "pub")
	if err != nil {
		t.Fatal(err)
	}
	pub.publish(tr)
	stop := writeVP8(tr)
	defer stop()
	var mu sync.Mutex
	rtctest.Wait(t, "the track refused", &mu, func() bool { return s.Refused() == 1 })
	ts := pub.peer.pub.GetTransceivers()
	if len(ts) != 1 {
		t.Fatalf("%d transceivers, want 1", len(ts))
	}
	if d := ts[0].Direction(); d != webrtc.RTPTransceiverDirectionInactive {
		t.Fatalf("the refused track's transceiver is %s, want stopped (inactive)", d)
	}
	if _, _, err := ts[0].Receiver().Read(make([]byte, 1500)); err == nil {
		t.Fatal("the refused track's receiver still reads")
	}
}
