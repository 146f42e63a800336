package sfu

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// clientAPI is a plain pion client on loopback, as the Go client makes.
func clientAPI(tb testing.TB) *webrtc.API { return clientAPIWith(tb, nil) }

// clientAPIWith is clientAPI with more registered on its media engine.
func clientAPIWith(tb testing.TB, more func(*webrtc.MediaEngine) error) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(codecVP8, webrtc.RTPCodecTypeVideo); err != nil {
		tb.Fatal(err)
	}
	if err := m.RegisterCodec(codecOpus, webrtc.RTPCodecTypeAudio); err != nil {
		tb.Fatal(err)
	}
	if more != nil {
		if err := more(m); err != nil {
			tb.Fatal(err)
		}
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		tb.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// leanClientAPI is clientAPI without interceptors, for benchmark
// receivers whose own per-packet work should not blur the SFU's.
func leanClientAPI(tb testing.TB, opts ...func(*webrtc.SettingEngine)) *webrtc.API {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(codecVP8, webrtc.RTPCodecTypeVideo); err != nil {
		tb.Fatal(err)
	}
	if err := m.RegisterCodec(codecOpus, webrtc.RTPCodecTypeAudio); err != nil {
		tb.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	for _, o := range opts {
		o(&se)
	}
	// An empty registry: without one, NewAPI installs the defaults.
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(&interceptor.Registry{}), webrtc.WithSettingEngine(se))
}

// testClient is a participant wired straight to a router, without the
// WebSocket: the signaler hands SDP and candidates across in-process.
type testClient struct {
	tb         testing.TB
	id         string
	pub, sub   *webrtc.PeerConnection
	peer       *Peer
	mu         sync.Mutex
	layers     api.Layers
	layersSent int
	tracks     chan *webrtc.TrackRemote
	// subOffers counts the router's offers on sub; answers keeps its
	// answers on pub. recMu guards them: c.mu is held while the client
	// joins, when the router may already offer.
	recMu     sync.Mutex
	subOffers int
	answers   []string
	// subRewrite, if set, rewrites the router's SDP and candidates for
	// the subscribe connection (to route it through a test's relay).
	subRewrite func(string) string
	// bandwidth are the router's bandwidth messages (SendBandwidth).
	bandwidth chan api.Bandwidth
}

func newTestClient(tb testing.TB, r *Router, id string, wapi *webrtc.API) *testClient {
	return newTestClientWith(tb, r, id, wapi, nil)
}

// newTestClientWith is newTestClient with the client changed by opt
// before it joins.
func newTestClientWith(tb testing.TB, r *Router, id string, wapi *webrtc.API, opt func(*testClient)) *testClient {
	c := &testClient{tb: tb, id: id, tracks: make(chan *webrtc.TrackRemote, 64), bandwidth: make(chan api.Bandwidth, 64)}
	if opt != nil {
		opt(c)
	}
	var err error
	if c.pub, err = wapi.NewPeerConnection(webrtc.Configuration{}); err != nil {
		tb.Fatal(err)
	}
	if c.sub, err = wapi.NewPeerConnection(webrtc.Configuration{}); err != nil {
		tb.Fatal(err)
	}
	c.sub.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { c.tracks <- t })
	for pc, name := range map[*webrtc.PeerConnection]api.PeerConnection{c.pub: api.PCPublish, c.sub: api.PCSubscribe} {
		name := name
		pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
			if cand == nil {
				return
			}
			init := cand.ToJSON()
			go func() {
				c.mu.Lock()
				p := c.peer
				c.mu.Unlock()
				_ = p.HandleCandidate(api.Candidate{PC: name, Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
			}()
		})
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := r.AddPeer(id, c)
	if err != nil {
		tb.Fatal(err)
	}
	c.peer = p
	tb.Cleanup(func() { c.pub.Close(); c.sub.Close() })
	return c
}

// SendSDP answers the router's offers and applies its answers.
func (c *testClient) SendSDP(sdp api.SDP) {
	c.recMu.Lock()
	if sdp.PC == api.PCSubscribe {
		c.subOffers++
	} else {
		c.answers = append(c.answers, sdp.SDP)
	}
	c.recMu.Unlock()
	go func() {
		c.mu.Lock()
		p := c.peer
		c.mu.Unlock()
		switch sdp.PC {
		case api.PCSubscribe:
			if c.subRewrite != nil {
				sdp.SDP = c.subRewrite(sdp.SDP)
			}
			if err := c.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp.SDP}); err != nil {
				return
			}
			ans, err := c.sub.CreateAnswer(nil)
			if err == nil {
				err = c.sub.SetLocalDescription(ans)
			}
			if err == nil {
				err = p.HandleAnswer(api.SDP{PC: api.PCSubscribe, SDP: c.sub.LocalDescription().SDP})
			}
			if err != nil {
				// A peer removed while an offer was out ends here; the
				// tests assert on what arrives, not on this.
				_ = err
			}
		case api.PCPublish:
			// A failure here shows as media that never arrives.
			_ = c.pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp.SDP})
		}
	}()
}

// SendLayers keeps what the router last said of a simulcast track's layers.
func (c *testClient) SendLayers(l api.Layers) {
	c.mu.Lock()
	c.layers = l
	c.layersSent++
	c.mu.Unlock()
}

// layersMessages counts the layers messages the router sent.
func (c *testClient) layersMessages() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.layersSent
}

// activeLayers is what the router last said of the client's layers.
func (c *testClient) activeLayers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.layers.Active
}

// SendBandwidth keeps the router's bandwidth messages, the newest if the
// test reads none.
func (c *testClient) SendBandwidth(b api.Bandwidth) {
	for {
		select {
		case c.bandwidth <- b:
			return
		default:
			select {
			case <-c.bandwidth:
			default:
			}
		}
	}
}

// SendCandidate adds the router's candidate on the right connection.
func (c *testClient) SendCandidate(cand api.Candidate) {
	pc := c.sub
	if cand.PC == api.PCPublish {
		pc = c.pub
	} else if c.subRewrite != nil {
		cand.Candidate = c.subRewrite(cand.Candidate)
	}
	go func() {
		// The description may still be on its way; candidates before it are retried.
		for i := 0; i < 100 && pc.ConnectionState() != webrtc.PeerConnectionStateClosed; i++ {
			if pc.RemoteDescription() != nil {
				_ = pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: cand.Candidate, SDPMid: cand.SDPMid, SDPMLineIndex: cand.SDPMLineIndex})
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}

// publish adds a track and offers it to the router.
func (c *testClient) publish(track webrtc.TrackLocal) {
	if _, err := c.pub.AddTrack(track); err != nil {
		c.tb.Fatal(err)
	}
	offer, err := c.pub.CreateOffer(nil)
	if err == nil {
		err = c.pub.SetLocalDescription(offer)
	}
	if err == nil {
		c.mu.Lock()
		p := c.peer
		c.mu.Unlock()
		err = p.HandleOffer(api.SDP{PC: api.PCPublish, SDP: c.pub.LocalDescription().SDP})
	}
	if err != nil {
		c.tb.Fatal(err)
	}
}

// nopEvents ignores the router's events.
type nopEvents struct{}

func (nopEvents) TrackPublished(api.Track)              {}
func (nopEvents) TrackUnpublished(api.Track)            {}
func (nopEvents) PeerFailed(string)                     {}
func (nopEvents) Speaking(string, bool)                 {}
func (nopEvents) AllowTrack(string, api.TrackKind) bool { return true }

func newTestSFU(tb testing.TB) *SFU {
	s, err := New(Config{UDPAddr: "127.0.0.1:0", Loopback: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

type apiTrack = api.Track

func apiSDP(sdp string) api.SDP { return api.SDP{PC: api.PCPublish, SDP: sdp} }

type apiKind = api.TrackKind
