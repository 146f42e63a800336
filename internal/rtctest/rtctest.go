// Package rtctest makes pion PeerConnections that find each other on
// 127.0.0.1 and connects them, for tests of the packages that send and
// receive media. It is imported by tests only.
package rtctest

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// WaitLimit bounds how long Connect waits for ICE gathering: a test that
// fails should fail for a reason, not for a busy machine.
const WaitLimit = 30 * time.Second

// SettingEngine makes ICE find a pair on 127.0.0.1, which default
// settings do not.
func SettingEngine() webrtc.SettingEngine {
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetIPFilter(func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 1)) })
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return s
}

// NewPC builds a PeerConnection with what register puts on its
// MediaEngine and pion's default interceptors (NACK, RTCP reports); it is
// closed when the test ends.
func NewPC(tb testing.TB, register func(*webrtc.MediaEngine) error) *webrtc.PeerConnection {
	tb.Helper()
	m := &webrtc.MediaEngine{}
	if err := register(m); err != nil {
		tb.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		tb.Fatal(err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(SettingEngine()))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = pc.Close() })
	return pc
}

// Connect runs a complete (non-trickle) offer/answer from a to b.
func Connect(tb testing.TB, a, b *webrtc.PeerConnection) {
	tb.Helper()
	gathered := func(pc *webrtc.PeerConnection, desc webrtc.SessionDescription) {
		done := webrtc.GatheringCompletePromise(pc)
		if err := pc.SetLocalDescription(desc); err != nil {
			tb.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(WaitLimit):
			tb.Fatal("ICE gathering did not complete")
		}
	}
	offer, err := a.CreateOffer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	gathered(a, offer)
	if err := b.SetRemoteDescription(*a.LocalDescription()); err != nil {
		tb.Fatal(err)
	}
	answer, err := b.CreateAnswer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	gathered(b, answer)
	if err := a.SetRemoteDescription(*b.LocalDescription()); err != nil {
		tb.Fatal(err)
	}
}

// Wait polls cond, holding mu while it runs, until it holds or WaitLimit
// passes.
func Wait(tb testing.TB, what string, mu *sync.Mutex, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(WaitLimit)
	for {
		mu.Lock()
		ok := cond()
		mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gave up after %v waiting for %s", WaitLimit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
