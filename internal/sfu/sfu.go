// Package sfu forwards media between the participants of a call without
// decoding it: each participant publishes on one PeerConnection (it
// offers) and receives everyone else on another (the SFU offers), so
// renegotiation never collides. It knows nothing of rooms' rules.
package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/udpbatch"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Config sets up the SFU's network side.
type Config struct {
	// UDPAddr is the one UDP address every peer's media goes through
	// (ICE UDP mux), e.g. ":7882" or "127.0.0.1:0" in tests.
	UDPAddr string
	// PublicIPs, when set, are announced instead of the host's addresses
	// (a server behind 1:1 NAT).
	PublicIPs []string
	// STUNServer (host:port), when set and PublicIPs are not, is asked
	// for the media socket's public address at start, which is then
	// announced as PublicIPs would be (nat.go).
	STUNServer string
	// Loopback announces 127.0.0.1 candidates only: for a server bound to
	// loopback and for tests, where the default gathering finds no pair.
	Loopback bool
	Logger   *slog.Logger
	// ForwardVoices is how many of the loudest voices reach each
	// listener (audible.go); 0 means DefaultForwardVoices, negative every
	// voice.
	ForwardVoices int
	// AnswerTimeout bounds how long a participant may take to answer an
	// offer before its media counts as failed; 0 means api.AnswerTimeout.
	AnswerTimeout time.Duration
	// ICETCP also listens on TCP on the media port's number and offers
	// passive TCP candidates, for clients whose UDP is blocked (icetcp.go).
	ICETCP bool
}

// SFU holds what every router shares: the WebRTC API and the UDP socket.
type SFU struct {
	// forwarded counts packets written to subscribers (one per subscriber);
	// retransmitted, those sent again on a subscriber's NACK.
	forwarded     atomic.Uint64
	retransmitted atomic.Uint64
	// refused counts tracks not forwarded (too many from one participant,
	// or a screen past the call's cap).
	refused atomic.Uint64
	// received counts packets read from publishers (every layer);
	// switches, subscribers moved from one simulcast layer to another.
	received atomic.Uint64
	switches atomic.Uint64
	// limited counts subscribers' tiles brought down (a smaller layer, or
	// paused) for their bandwidth estimate.
	limited       atomic.Uint64
	voices        int // loudest voices forwarded; 0: all
	answerTimeout time.Duration
	api           *webrtc.API
	// bwes makes each subscribe connection's estimator (bwe.go).
	bwes   *bweFactory
	subMu  sync.Mutex
	conn   net.PacketConn
	mux    ice.UDPMux
	tcpMux *ice.TCPMuxDefault // nil when ICE over TCP is off
	batch  *udpbatch.Conn     // batches the media socket's sends; nil: none
	log    *slog.Logger

	// Subscribe connections are made with api's settings and media
	// engine, and subReg: its interceptors plus a bandwidth estimator each
	// (bwe.go), made one at a time under subMu so each connection gets
	// its own; each gets a BufferFactory of its own (rtcpin.go).
	settings webrtc.SettingEngine
	media    *webrtc.MediaEngine
	subReg   *interceptor.Registry
}

// Codecs the SFU forwards. Payload types follow Chromium's so fewer
// rewrites happen, but nothing relies on them.
var (
	codecVP8 = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}}},
		PayloadType: 96,
	}
	codecOpus = webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1", RTCPFeedback: []webrtc.RTCPFeedback{{Type: "transport-cc"}}},
		PayloadType: 111,
	}
)

// socketBuffer is the media socket's receive and send buffer asked for.
const socketBuffer = 4 << 20

// AudioLevelURI is the header extension publishers put their audio level in.
const AudioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

// SimulcastExtensions are the RTP header extensions simulcast needs, to
// register for video on both ends.
var SimulcastExtensions = []string{
	"urn:ietf:params:rtp-hdrext:sdes:mid",
	"urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
	"urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
}

// New opens the SFU's UDP socket and builds its WebRTC API.
func New(cfg Config) (*SFU, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(codecVP8, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("register VP8: %w", err)
	}
	if err := m.RegisterCodec(codecOpus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register Opus: %w", err)
	}
	if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register audio level: %w", err)
	}
	// Simulcast: a layer's packets carry the m-section (mid) and the
	// layer (rid) they belong to; pion needs both to sort streams that the
	// SDP does not list by SSRC, as browsers send them.
	for _, uri := range SimulcastExtensions {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("register %s: %w", uri, err)
		}
	}
	reg, err := interceptors(m)
	if err != nil {
		return nil, err
	}
	subReg, bwes, err := subscribeInterceptors(m)
	if err != nil {
		return nil, err
	}

	addr, err := net.ResolveUDPAddr("udp", cfg.UDPAddr)
	if err != nil {
		return nil, fmt.Errorf("media UDP address %q: %w", cfg.UDPAddr, err)
	}
	conn, tcpLn, err := listenMedia(addr, cfg.ICETCP)
	if err != nil {
		return nil, err
	}
	// Every participant's media comes through this one socket: at 50
	// publishers a few dozen milliseconds without reading (a GC pause, a
	// busy machine) overflow the kernel's default buffer of about 200 KB,
	// and a packet lost here is lost for every subscriber. Ask for more;
	// the kernel caps it at net.core.rmem_max / wmem_max.
	for _, set := range []func(int) error{conn.SetReadBuffer, conn.SetWriteBuffer} {
		if err := set(socketBuffer); err != nil {
			log.Warn("media socket buffer", "err", err)
		}
	}
	if recv, send, ok := socketBuffers(conn); ok && (recv < socketBuffer || send < socketBuffer) {
		log.Warn("the media socket's buffers are smaller than asked; large calls may lose packets when the machine is busy",
			"receive_kb", recv>>10, "send_kb", send>>10, "want_kb", socketBuffer>>10,
			"fix", "sysctl -w net.core.rmem_max=4194304 net.core.wmem_max=4194304")
	}
	if cfg.STUNServer != "" && len(cfg.PublicIPs) == 0 {
		public, err := discoverPublicIP(conn, cfg.STUNServer)
		if err != nil {
			conn.Close()
			if tcpLn != nil {
				tcpLn.Close()
			}
			return nil, err
		}
		log.Info("public address from the STUN server", "stun_server", cfg.STUNServer, "address", public.String())
		if port := conn.LocalAddr().(*net.UDPAddr).Port; public.Port != port {
			log.Warn("the NAT in front of this host maps the media port to another port; clients reach the media port only if the NAT forwards it unchanged",
				"media_port", port, "public_port", public.Port, "fix", "forward UDP (and TCP) port "+strconv.Itoa(port)+" to this host, 1:1")
		}
		cfg.PublicIPs = []string{public.IP.String()}
	}
	se := webrtc.SettingEngine{}
	se.LoggerFactory = &pionLogs{log: log}
	media, batch := wrapMedia(conn) // sendpath.go
	mux := webrtc.NewICEUDPMux(nil, media)
	se.SetICEUDPMux(mux)
	var tcpMux *ice.TCPMuxDefault
	if tcpLn != nil {
		tcpMux = newTCPMux(tcpLn, se.LoggerFactory.NewLogger("ice-tcp"))
		se.SetICETCPMux(tcpMux)
	}
	se.SetNetworkTypes(iceNetworks(addr, tcpLn != nil, len(cfg.PublicIPs) > 0))
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// ICE-lite: the server never sends a connectivity check, it answers
	// the client's, from the address they came from. A participant's
	// candidates are never probed, so naming an address (an internal
	// service, a third party) makes the server send nothing there.
	// Clients (full ICE) control and nominate; the server's candidates
	// are host candidates on one port, which is what lite needs.
	se.SetLite(true)
	setICETimeouts(&se)
	if cfg.Loopback {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if len(cfg.PublicIPs) > 0 {
		rule := webrtc.ICEAddressRewriteRule{External: cfg.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			conn.Close()
			if tcpMux != nil {
				tcpMux.Close()
			}
			return nil, fmt.Errorf("announce --public-ip %v: %w", cfg.PublicIPs, err)
		}
	}
	// What publishers send their RTCP read streams is not read (rtcpin.go).
	pubSettings := se
	pubSettings.BufferFactory = publishBuffers
	if cfg.AnswerTimeout == 0 {
		cfg.AnswerTimeout = api.AnswerTimeout
	}
	voices := cfg.ForwardVoices
	switch {
	case voices == 0:
		voices = DefaultForwardVoices
	case voices < 0:
		voices = 0
	}
	return &SFU{
		voices:        voices,
		answerTimeout: cfg.AnswerTimeout,
		api:           webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(pubSettings)),
		settings:      se,
		media:         m,
		subReg:        subReg,
		bwes:          bwes,
		conn:          conn,
		mux:           mux,
		tcpMux:        tcpMux,
		batch:         batch,
		log:           log,
	}, nil
}

// UDPPort is the port media flows through.
func (s *SFU) UDPPort() int {
	_, port, _ := net.SplitHostPort(s.conn.LocalAddr().String())
	n, _ := strconv.Atoi(port)
	return n
}

// Close stops the SFU's socket. Routers must be closed first.
func (s *SFU) Close() error {
	err := s.mux.Close()
	_ = s.conn.Close() // the mux has usually closed it already
	if s.tcpMux != nil {
		// Closes the listener and every TCP connection, and waits for
		// the mux's goroutines.
		err = errors.Join(err, s.tcpMux.Close())
	}
	return err
}

// Forwarded is how many packets the SFU has sent to subscribers, counting
// each subscriber's copy.
func (s *SFU) Forwarded() uint64 { return s.forwarded.Load() }

// Retransmitted counts packets sent again on subscribers' NACKs.
func (s *SFU) Retransmitted() uint64 { return s.retransmitted.Load() }

// Received counts RTP packets read from publishers, every simulcast layer.
func (s *SFU) Received() uint64 { return s.received.Load() }

// LayerSwitches counts subscribers moved from one simulcast layer to another.
func (s *SFU) LayerSwitches() uint64 { return s.switches.Load() }

// BandwidthLimits counts subscribers' video tiles brought down (a smaller
// layer, or paused) because their bandwidth estimate could not carry them.
func (s *SFU) BandwidthLimits() uint64 { return s.limited.Load() }

// Refused counts published tracks that were not forwarded.
func (s *SFU) Refused() uint64 { return s.refused.Load() }
