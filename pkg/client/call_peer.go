package client

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/coder/websocket"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/negotiate"
)

// defaultAPI negotiates what roomsd forwards: VP8 and Opus, with audio
// levels stamped from levels, and the mid and rid header extensions that
// tell simulcast layers apart (AddSimulcastTrack).
func defaultAPI(loopback bool, levels *audioLevels, transport string) (*webrtc.API, error) {
	return buildAPI(loopback, levels, transport, nil)
}

// buildAPI is defaultAPI with more, when set, adding interceptors before
// pion's defaults (the uplink estimate's, for publish connections).
func buildAPI(loopback bool, levels *audioLevels, transport string, more func(*webrtc.MediaEngine, *interceptor.Registry) error) (*webrtc.API, error) {
	networks, err := networkTypes(transport)
	if err != nil {
		return nil, err
	}
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
	if more != nil {
		if err := more(m, reg); err != nil {
			return nil, err
		}
	}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		return nil, fmt.Errorf("register interceptors: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(api.ICEDisconnected, api.ICEFailed, api.ICEKeepalive)
	// TCP: active candidates only (pion gathers no passive ones without
	// a TCP mux), to reach roomsd's passive ones when UDP is blocked.
	se.SetNetworkTypes(networks)
	if transport == TransportRelay {
		// pion makes active TCP host candidates whatever the candidate
		// types allowed: without this a "relay only" client still
		// connects straight to roomsd's ICE-TCP port.
		se.DisableActiveTCP(true)
		// Only relayed pairs exist: nothing better to wait for (pion
		// waits 2 s before it nominates a relayed pair, in case a
		// direct one comes).
		se.SetRelayAcceptanceMinWait(0)
	}
	if loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// newPeers makes the publish and subscribe connections of a session on
// ws, and their negotiators: the publish connection offers, one offer in
// flight, and a late answer drops ws; the subscribe one answers.
func (call *Call) newPeers(ws *websocket.Conn, servers []api.ICEServer) error {
	s := &call.s
	cfg, err := peerConfig(call.opts.Transport, servers)
	if err != nil {
		return err
	}
	pubAPI := call.api
	if call.pubAPI != nil {
		pubAPI = call.pubAPI
	}
	pub, err := pubAPI.NewPeerConnection(cfg)
	if err != nil {
		return fmt.Errorf("new publish connection: %w", err)
	}
	sub, err := call.api.NewPeerConnection(cfg)
	if err != nil {
		pub.Close()
		return fmt.Errorf("new subscribe connection: %w", err)
	}
	for pc, name := range map[*webrtc.PeerConnection]api.PeerConnection{pub: api.PCPublish, sub: api.PCSubscribe} {
		pc.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c == nil {
				return
			}
			// From pion's goroutine, on this session's connection: a
			// failure surfaces as a dropped connection in the reader.
			init := c.ToJSON()
			_ = write(call.ctx, ws, api.MsgCandidate, api.Candidate{PC: name, Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
		})
	}
	for pc, name := range map[*webrtc.PeerConnection]api.PeerConnection{pub: api.PCPublish, sub: api.PCSubscribe} {
		pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
			call.post(func() { call.iceState(pc, name, st) })
		})
	}
	sub.OnTrack(func(remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		call.post(func() {
			info, ok := call.s.tracks[remote.ID()]
			if !ok {
				info = api.Track{ID: remote.ID(), ParticipantID: remote.StreamID(), Kind: api.KindVideo}
				if remote.Kind() == webrtc.RTPCodecTypeAudio {
					info.Kind = api.KindAudio
				}
			}
			call.emit(RemoteTrack{Info: info, Track: remote, Receiver: recv})
		})
	})
	var pubNeg *negotiate.Negotiator
	pubNeg = negotiate.New(pub, negotiate.Config{
		SendOffer:     call.sendOffer,
		AnswerTimeout: answerTimeout,
		OnAnswerTimeout: func() {
			call.post(func() {
				if call.s.pubNeg == pubNeg && call.s.conn != nil {
					call.drop(errAnswerLate)
				}
			})
		},
	})
	s.pub, s.sub = pub, sub
	s.pubNeg, s.subNeg = pubNeg, negotiate.New(sub, negotiate.Config{})
	return nil
}

// mediaFailed reports that pc's ICE failed and rejoins with fresh
// connections, unless pc belongs to a session already gone; a nil pc is
// the server saying so (its close drops the connection). run's.
func (call *Call) mediaFailed(pc *webrtc.PeerConnection, name api.PeerConnection, tried []string) {
	s := &call.s
	if pc != nil && pc != s.pub && pc != s.sub || s.mediaFailed {
		return
	}
	s.mediaFailed = true
	call.emit(MediaFailed{PC: name, Transports: tried, Reason: mediaFailedReason(tried)})
	if pc != nil && s.conn != nil {
		call.drop(fmt.Errorf("%w (%s connection)", errMediaFailed, name))
	}
}

// errMediaFailed drops a session whose media could not connect.
var errMediaFailed = errors.New("media could not connect")

// mediaFailedReason says what a failure on these transports means.
func mediaFailedReason(tried []string) string {
	if len(tried) == 0 {
		return "media could not connect: the server offered no address to reach; check its --public-ip and media port"
	}
	var udp, tcp []string
	for _, t := range tried {
		if a, ok := strings.CutPrefix(t, "udp "); ok && !strings.HasSuffix(a, ")") {
			udp = append(udp, a)
		} else if a, ok := strings.CutPrefix(t, "tcp "); ok && !strings.HasSuffix(a, ")") {
			tcp = append(tcp, a)
		}
	}
	switch {
	case len(udp) == len(tried):
		return "media could not connect: tried UDP to " + strings.Join(udp, ", ") +
			"; UDP may be blocked on this network (try another network, or ask the server's operator for TCP or TURN)"
	case len(udp)+len(tcp) == len(tried) && slices.Equal(udp, tcp):
		return "media could not connect: tried UDP and TCP to " + strings.Join(udp, ", ") +
			"; UDP may be blocked on this network, and TCP to the media port too (try another network, or ask the server's operator for TURN)"
	}
	return "media could not connect: tried " + strings.Join(tried, ", ") +
		"; this network may block them (try another network)"
}

// triedTransports lists the server's candidates for pc, from its remote
// description and the ones trickled after it, as "udp 192.0.2.1:7882",
// sorted.
func triedTransports(pc *webrtc.PeerConnection, trickled []string) []string {
	lines := slices.Clone(trickled)
	if pc == nil {
		return nil
	}
	if d := pc.RemoteDescription(); d != nil {
		for _, l := range strings.Split(d.SDP, "\n") {
			if c, ok := strings.CutPrefix(strings.TrimSpace(l), "a="); ok {
				lines = append(lines, c)
			}
		}
	}
	var out []string
	for _, l := range lines {
		if t, ok := transportOf(l); ok && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// transportOf reads "candidate:F C PROTO PRIO IP PORT typ T ..." as
// "proto ip:port" (with " tcp" when it is ICE over TCP, "relay" for TURN).
func transportOf(cand string) (string, bool) {
	f := strings.Fields(strings.TrimPrefix(cand, "candidate:"))
	if !strings.HasPrefix(cand, "candidate:") || len(f) < 8 {
		return "", false
	}
	t := strings.ToLower(f[2]) + " " + net.JoinHostPort(f[4], f[5])
	if f[7] == "relay" {
		t += " (relay)"
	}
	return t, true
}

// sendOffer sends the publish connection's offer, with the kind of each
// track it carries. run's: the negotiator calls it from Negotiate.
func (call *Call) sendOffer(o webrtc.SessionDescription) error {
	s := &call.s
	if s.conn == nil {
		return errors.New("not connected")
	}
	kinds := map[string]api.TrackKind{}
	for _, t := range s.local {
		kinds[t.Track.ID()] = t.Kind
	}
	return s.conn.post(api.MsgOffer, api.SDP{PC: api.PCPublish, SDP: o.SDP, Tracks: kinds})
}

// answerTimeout is api.AnswerTimeout; a test shortens it.
var answerTimeout = api.AnswerTimeout

// Transports JoinOptions.Transport names.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
)

// networkTypes are the ICE network types a transport choice allows.
func networkTypes(transport string) ([]webrtc.NetworkType, error) {
	switch transport {
	case "":
		return []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6}, nil
	case TransportUDP:
		return []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}, nil
	case TransportTCP:
		return []webrtc.NetworkType{webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6}, nil
	case TransportRelay:
		// pion gathers relay candidates for a TURN URL over UDP only
		// with UDP allowed, and over TCP/TLS only with TCP.
		return []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}, nil
	}
	return nil, fmt.Errorf("join: unknown transport %q: use %q, %q, %q or leave it empty for UDP and TCP (and TURN when the server offers it)", transport, TransportUDP, TransportTCP, TransportRelay)
}
