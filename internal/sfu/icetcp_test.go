package sfu

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/rtctest"
)

// networkClientAPI is clientAPI limited to the given network types: with
// TCP4 only, a client that cannot use UDP.
func networkClientAPI(tb testing.TB, types ...webrtc.NetworkType) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(codecVP8, webrtc.RTPCodecTypeVideo); err != nil {
		tb.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		tb.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes(types)
	// pion's controlling agent nominates the first host pair to succeed
	// with no wait, so whether UDP or TCP wins is a race on a busy
	// machine; with a wait it nominates the best valid pair, which is
	// what this test asks of the server's candidates (UDP above TCP).
	se.SetHostAcceptanceMinWait(time.Second)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// selectedPair is a connection's selected ICE pair, nil before one is.
func selectedPair(pc *webrtc.PeerConnection) *webrtc.ICECandidatePair {
	for _, r := range pc.GetReceivers() {
		if r.Transport() == nil {
			continue
		}
		if pair, err := r.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && pair != nil {
			return pair
		}
	}
	return nil
}

// TestICETCP: with ICE over TCP on, a viewer that can only use TCP
// connects to the ICE-lite SFU over a passive TCP candidate and receives
// the publisher's video packets; a UDP viewer still selects UDP; with it
// off, nothing listens on TCP on the media port.
func TestICETCP(t *testing.T) {
	tests := []struct {
		name      string
		tcp       bool
		viewer    []webrtc.NetworkType
		wantProto string // the viewer's selected pair; "" means nothing listens on TCP
	}{
		{"TCP-only viewer", true, []webrtc.NetworkType{webrtc.NetworkTypeTCP4}, "tcp"},
		{"UDP viewer keeps UDP", true, []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}, "udp"},
		{"off listens on no TCP", false, []webrtc.NetworkType{webrtc.NetworkTypeTCP4}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{UDPAddr: "127.0.0.1:0", Loopback: true, ICETCP: tt.tcp})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			r := s.NewRouter("tcp", nopEvents{})
			defer r.Close()
			pub := newTestClient(t, r, "pub", clientAPI(t))
			viewer := newTestClient(t, r, "viewer", networkClientAPI(t, tt.viewer...))
			tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "pub")
			if err != nil {
				t.Fatal(err)
			}
			pub.publish(tr)
			stop := writeVP8(tr)
			defer stop()

			if tt.wantProto == "" {
				addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.UDPPort()))
				if c, err := net.Dial("tcp4", addr); err == nil {
					c.Close()
					t.Fatalf("with ICE over TCP off, %s accepts TCP connections", addr)
				}
				return
			}
			var mu sync.Mutex
			var track *webrtc.TrackRemote
			rtctest.Wait(t, "the viewer receives the publisher's track", &mu, func() bool {
				select {
				case track = <-viewer.tracks:
					return true
				default:
					return false
				}
			})
			packets := 0
			buf := make([]byte, 1500)
			for packets < 20 {
				if _, _, err := track.Read(buf); err != nil {
					t.Fatalf("read the viewer's track after %d packets: %v", packets, err)
				}
				packets++
			}
			pair := selectedPair(viewer.sub)
			if pair == nil {
				t.Fatal("the viewer has no selected candidate pair")
			}
			if got := pair.Local.Protocol.String(); got != tt.wantProto {
				t.Errorf("the viewer's selected candidate pair is %s, want %s", pair, tt.wantProto)
			}
			if tt.wantProto == "tcp" && (pair.Remote.TCPType != "passive" || pair.Remote.Port != uint16(s.UDPPort())) {
				t.Errorf("the SFU's side of the pair is %s, want a passive TCP candidate on port %d", pair.Remote, s.UDPPort())
			}
		})
	}
}
