package sfu

import (
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/time/rate"

	"github.com/rooms-dev/rooms/pkg/api"
)

// BenchmarkHostileOffer: what refusing a hostile publish offer costs the
// server, from the message's SDP to the refusal, the bucket set aside so
// every offer is checked in full. On main the 1,700-section offer was
// parsed, applied and answered: 7.7 s of CPU for twenty.
func BenchmarkHostileOffer(b *testing.B) {
	padded := hostileOffer(api.MaxOfferMediaSections + 1)
	padded += strings.Repeat("a=x-pad:"+strings.Repeat("p", 54)+"\r\n", (api.MaxOfferBytes-len(padded))/64)
	bare := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + strings.Repeat("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n", 1700)
	for _, bc := range []struct {
		name string
		sdp  string
	}{
		{"1700 sections as in the attack", hostileOffer(1700)},
		{"1700 bare sections under 64 KiB", bare},
		{"9 sending sections", hostileOffer(api.MaxOfferMediaSections + 1)},
		{"9 sending sections padded to 64 KiB", padded},
		{"33 inactive sections", strings.ReplaceAll(hostileOffer(api.MaxOfferSections+1), "a=sendonly", "a=inactive")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newTestSFU(b)
			r := s.NewRouter("bench", nopEvents{})
			defer r.Close()
			c := newTestClient(b, r, "pub", clientAPI(b))
			c.peer.offerBudget.SetLimit(rate.Inf)
			o := api.SDP{PC: api.PCPublish, SDP: bc.sdp}
			b.ReportAllocs()
			for b.Loop() {
				var ref *Refusal
				if err := c.peer.HandleOffer(o); !errors.As(err, &ref) {
					b.Fatalf("not refused: %v", err)
				}
			}
			b.ReportMetric(float64(len(bc.sdp)), "offer-bytes")
		})
	}
}

// BenchmarkAcceptedOffer: what a largest honest offer costs, applied and
// answered: Chromium's (microphone, a three-layer camera, a screen), and
// eight sending sections with 24 inactive ones (32, the most taken).
func BenchmarkAcceptedOffer(b *testing.B) {
	chromium, err := os.ReadFile("testdata/chromium-offer.sdp")
	if err != nil {
		b.Fatal(err)
	}
	most := strings.Replace(strings.ReplaceAll(hostileOffer(api.MaxOfferSections), "a=sendonly", "a=inactive"), "a=inactive", "a=sendonly", api.MaxOfferMediaSections)
	for _, bc := range []struct {
		name string
		sdp  string
	}{
		{"Chromium", string(chromium)},
		{"8 sending and 24 inactive sections", most},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newTestSFU(b)
			r := s.NewRouter("bench", nopEvents{})
			defer r.Close()
			c := newTestClient(b, r, "pub", clientAPI(b))
			c.peer.offerBudget.SetLimit(rate.Inf)
			o := api.SDP{PC: api.PCPublish, SDP: bc.sdp}
			b.ReportAllocs()
			for b.Loop() {
				if err := c.peer.HandleOffer(o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(bc.sdp)), "offer-bytes")
		})
	}
}
