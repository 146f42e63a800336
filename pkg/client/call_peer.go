package client

import (
	"fmt"
	"net"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// defaultAPI negotiates what roomsd forwards: VP8 and Opus, with audio
// levels stamped from levels, and the mid and rid header extensions that
// tell simulcast layers apart (AddSimulcastTrack).
func defaultAPI(loopback bool, levels *audioLevels) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	for _, c := range []struct {
		p webrtc.RTPCodecParameters
		t webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "transport-cc"}}}, PayloadType: 96}, webrtc.RTPCodecTypeVideo},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}, webrtc.RTPCodecTypeAudio},
	} {
		if err := m.RegisterCodec(c.p, c.t); err != nil {
			return nil, fmt.Errorf("register %s: %w", c.p.MimeType, err)
		}
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register audio level: %w", err)
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return nil, fmt.Errorf("register simulcast extensions: %w", err)
	}
	reg := &interceptor.Registry{}
	reg.Add(levels)
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// newPeers makes the publish and subscribe connections of one session.
func (call *Call) newPeers() (*webrtc.PeerConnection, *webrtc.PeerConnection, error) {
	pub, err := call.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, nil, fmt.Errorf("new publish connection: %w", err)
	}
	sub, err := call.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		pub.Close()
		return nil, nil, fmt.Errorf("new subscribe connection: %w", err)
	}
	for pc, name := range map[*webrtc.PeerConnection]api.PeerConnection{pub: api.PCPublish, sub: api.PCSubscribe} {
		name := name
		pc.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c == nil {
				return
			}
			init := c.ToJSON()
			_ = call.send(api.MsgCandidate, api.Candidate{PC: name, Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
		})
	}
	sub.OnTrack(func(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		call.mu.Lock()
		info, ok := call.tracks[remote.ID()]
		call.mu.Unlock()
		if !ok {
			info = api.Track{ID: remote.ID(), ParticipantID: remote.StreamID(), Kind: api.KindVideo}
			if remote.Kind() == webrtc.RTPCodecTypeAudio {
				info.Kind = api.KindAudio
			}
		}
		call.emit(RemoteTrack{Info: info, Track: remote, Receiver: recv})
	})
	return pub, sub, nil
}

// negotiate offers the publish connection's tracks, one offer at a time.
func (call *Call) negotiate() {
	call.mu.Lock()
	pub := call.pub
	if pub == nil {
		call.mu.Unlock()
		return
	}
	if call.offering {
		call.again = true
		call.mu.Unlock()
		return
	}
	call.offering = true
	call.mu.Unlock()
	kinds := map[string]api.TrackKind{}
	call.mu.Lock()
	for _, t := range call.local {
		kinds[t.Track.ID()] = t.Kind
	}
	call.mu.Unlock()
	offer, err := pub.CreateOffer(nil)
	if err == nil {
		err = pub.SetLocalDescription(offer)
	}
	if err == nil {
		err = call.send(api.MsgOffer, api.SDP{PC: api.PCPublish, SDP: pub.LocalDescription().SDP, Tracks: kinds})
	}
	if err != nil {
		call.mu.Lock()
		call.offering = false
		call.mu.Unlock()
	}
}

// closePeers closes the current connections, if any.
func (call *Call) closePeers() {
	call.mu.Lock()
	pub, sub := call.pub, call.sub
	call.pub, call.sub = nil, nil
	call.mu.Unlock()
	if pub != nil {
		pub.Close()
	}
	if sub != nil {
		sub.Close()
	}
}
