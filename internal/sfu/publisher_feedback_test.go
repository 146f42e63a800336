package sfu

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// feedbackCounter counts the transport-cc feedback a connection reads
// and the packets those reports cover.
type feedbackCounter struct {
	interceptor.NoOp
	mu       sync.Mutex
	reports  int
	statuses int // packets the reports cover
}

func (f *feedbackCounter) NewInterceptor(string) (interceptor.Interceptor, error) { return f, nil }

func (f *feedbackCounter) BindRTCPReader(r interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := r.Read(b, a)
		if err != nil {
			return n, a, err
		}
		pkts, perr := rtcp.Unmarshal(b[:n])
		if perr == nil {
			f.mu.Lock()
			for _, p := range pkts {
				if cc, ok := p.(*rtcp.TransportLayerCC); ok {
					f.reports++
					f.statuses += int(cc.PacketStatusCount)
				}
			}
			f.mu.Unlock()
		}
		return n, a, err
	})
}

func (f *feedbackCounter) count() (reports, statuses int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reports, f.statuses
}

// TestPublishersGetTransportFeedback: a publisher that stamps
// transport-wide sequence numbers on what it sends (Chrome does, and the
// Go client's uplink estimate, pkg/client/uplink.go) gets transport-cc
// feedback from roomsd on its publish connection, for its simulcast
// layers: what a browser's congestion control (GCC) and the
// Go client's estimate slow their encoders down with on a narrow uplink.
// Without the TWCC feedback interceptor on publish connections
// (interceptors.go) no report comes.
func TestPublishersGetTransportFeedback(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("feedback", nopEvents{})
	t.Cleanup(r.Close)

	fb := &feedbackCounter{}
	m := &webrtc.MediaEngine{}
	for _, c := range []struct {
		p webrtc.RTPCodecParameters
		k webrtc.RTPCodecType
	}{{codecVP8, webrtc.RTPCodecTypeVideo}, {codecOpus, webrtc.RTPCodecTypeAudio}} {
		if err := m.RegisterCodec(c.p, c.k); err != nil {
			t.Fatal(err)
		}
	}
	for _, uri := range SimulcastExtensions {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	reg.Add(fb)
	// What a sender that wants feedback does: the extension offered, and
	// a transport-wide sequence number on every packet.
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, reg); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	wapi := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))

	pub := newTestClient(t, r, "pub", wapi)
	newSimulcastPublisher(t, pub)
	deadline := time.Now().Add(30 * time.Second)
	for {
		reports, statuses := fb.count()
		// 30 packets a second on three layers: a second's worth reported.
		if reports >= 10 && statuses >= 90 {
			t.Logf("%d transport-cc reports covering %d packets", reports, statuses)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the publisher got %d transport-cc reports covering %d packets in 30 s: roomsd gives publishers no congestion feedback, so their encoders cannot slow down on a narrow uplink", reports, statuses)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
