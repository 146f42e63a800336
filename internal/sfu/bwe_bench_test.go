package sfu

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// BenchmarkForwardTWCC is BenchmarkForward with subscribers that
// negotiate the transport-wide congestion control extension (as browsers
// and rooms' clients do), so every packet also goes through the
// bandwidth estimator's stamping and record (bwe.go). The subscribers
// still run no interceptors of their own (they send no feedback: what
// is measured is the send path).
func BenchmarkForwardTWCC(b *testing.B) {
	for _, n := range []int{1, 10, 49} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			s := newTestSFU(b)
			r := s.NewRouter("bench", nopEvents{})
			defer r.Close()
			pub := newTestClient(b, r, "pub", clientAPI(b))
			lean := leanTWCCClientAPI(b)
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
				deadline := time.After(20 * time.Second)
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
			if sp := r.peer("sub0"); sp == nil || sp.bwe == nil || stamped(sp.bwe) == 0 {
				b.Fatal("no packet was stamped: the subscribers did not negotiate transport-cc")
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pkt.SequenceNumber++
				pkt.Timestamp += 3000
				f.forward(0, l, pkt)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/pkt-sub")
		})
	}
}

// leanTWCCClientAPI is leanClientAPI whose media engine offers the
// transport-wide congestion control extension.
func leanTWCCClientAPI(tb testing.TB) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(codecVP8, webrtc.RTPCodecTypeVideo); err != nil {
		tb.Fatal(err)
	}
	if err := m.RegisterCodec(codecOpus, webrtc.RTPCodecTypeAudio); err != nil {
		tb.Fatal(err)
	}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: twccURI}, k); err != nil {
			tb.Fatal(err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(&interceptor.Registry{}), webrtc.WithSettingEngine(se))
}

// stamped is how many packets b has numbered.
func stamped(b *bwe) uint16 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.next
}
