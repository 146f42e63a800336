package sfu

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// benchWait is how long a benchmark waits for a subscriber to get the
// track: 20 s, or ROOMS_BENCH_WAIT (under valgrind, say).
func benchWait() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("ROOMS_BENCH_WAIT")); err == nil {
		return d
	}
	return 20 * time.Second
}

// BenchmarkForward measures the fan-out of one published packet to N
// subscribers: what the router does per packet once it has read it
// (strip extensions, then for each subscriber rewrite SSRC and payload
// type, run the interceptors, SRTP-protect and send a UDP datagram).
// ns/pkt-sub is the cost per forwarded packet per subscriber. Each packet
// is a frame of its own (marker bit set), except in the frame=3 runs:
// three packets a frame, held until the last (sendpath.go). The
// subscribers are pion peers in this process without interceptors,
// reading into one reused buffer, so what they allocate and spend is
// small next to the send path measured here (testing counts allocations
// process-wide).
func BenchmarkForward(b *testing.B) {
	for _, c := range []struct{ n, perFrame int }{{1, 1}, {10, 1}, {49, 1}, {10, 3}} {
		n, name := c.n, fmt.Sprintf("subscribers=%d", c.n)
		if c.perFrame > 1 {
			name += fmt.Sprintf(",frame=%d", c.perFrame)
		}
		b.Run(name, func(b *testing.B) {
			s := newTestSFU(b)
			r := s.NewRouter("bench", nopEvents{})
			defer r.Close()
			pub := newTestClient(b, r, "pub", clientAPI(b))
			lean := leanClientAPI(b)
			subs := make([]*testClient, n)
			for i := range subs {
				subs[i] = newTestClient(b, r, fmt.Sprintf("sub%d", i), lean)
			}
			track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
			if err != nil {
				b.Fatal(err)
			}
			pub.publish(track)
			payload := make([]byte, 1100)
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}, Payload: payload}
			// Feed the publisher until every subscriber has the track.
			for i, sc := range subs {
				deadline := time.After(benchWait())
			wait:
				for {
					select {
					case t := <-sc.tracks:
						go func() {
							buf := make([]byte, 1500)
							for {
								if _, _, err := t.Read(buf); err != nil {
									return
								}
							}
						}()
						break wait
					case <-time.After(20 * time.Millisecond):
						pkt.SequenceNumber++
						_ = track.WriteRTP(pkt)
					case <-deadline:
						b.Fatalf("subscriber %d never got the track", i)
					}
				}
			}
			fwds := r.allForwarders()
			if len(fwds) != 1 {
				b.Fatalf("%d forwarders, want 1", len(fwds))
			}
			f := fwds[0]
			l := f.layers[0].Load()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pkt.SequenceNumber++
				if i%c.perFrame == 0 {
					pkt.Timestamp += 3000
				}
				pkt.Marker = i%c.perFrame == c.perFrame-1
				f.forward(0, l, pkt)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/pkt-sub")
		})
	}
}
