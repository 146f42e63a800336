package sfu

import (
	"os"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// FuzzScanSDP: the bounds check never panics, and what it lets through
// holds the bounds by a count of its own and by pion's parser.
func FuzzScanSDP(f *testing.F) {
	if b, err := os.ReadFile("testdata/chromium-offer.sdp"); err == nil {
		f.Add(string(b))
	}
	f.Add(hostileOffer(api.MaxOfferMediaSections + 1))
	f.Add("v=0\r\nm=audio 9 RTP 0\r\n m=video 9 RTP 0\r\n")
	f.Add("v=0\na=ice-lite\n")
	f.Fuzz(func(t *testing.T, text string) {
		sh, err := scanSDP(text, api.MaxOfferBytes, api.MaxOfferSections, api.MaxCandidates)
		if err != nil {
			return
		}
		if len(text) > api.MaxOfferBytes {
			t.Fatalf("%d bytes passed", len(text))
		}
		sections, cands := 0, 0
		for _, l := range strings.Split(text, "\n") {
			l = strings.TrimLeft(l, " \t\r")
			switch {
			case strings.HasPrefix(l, "m="):
				sections++
			case strings.HasPrefix(l, "a=candidate"):
				cands++
			case strings.HasPrefix(l, "a=ice-lite"):
				t.Fatal("an ICE-lite SDP passed")
			}
		}
		if sections != sh.sections || sections > api.MaxOfferSections || cands > api.MaxCandidates {
			t.Fatalf("passed with %d sections (scan said %d), %d candidates", sections, sh.sections, cands)
		}
		d, err := parseSDP(text, sh)
		if err != nil {
			return
		}
		if len(d.MediaDescriptions) > api.MaxOfferSections {
			t.Fatalf("pion parsed %d sections", len(d.MediaDescriptions))
		}
		if n := len(sending(d)); n > len(d.MediaDescriptions) {
			t.Fatalf("%d sending of %d sections", n, len(d.MediaDescriptions))
		}
	})
}
