package sfu

import (
	"io"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/transport/v5/packetio"
	"github.com/pion/webrtc/v4"
)

// Incoming RTCP without a goroutine or a buffer per stream.
//
// pion hands a connection's incoming RTCP to one read stream per SSRC it
// names (each with a buffer that grows to the largest burst it ever held,
// up to 100 KB, and never shrinks), read through each RTPSender: an SFU
// that reads them has a goroutine per subscribed track, 48 per subscriber
// in a 25-person room, each allocating a receive-MTU buffer per read. And
// what nobody reads (a publisher's sender reports to its RTPReceivers, the
// streams pion opens for SSRCs it does not know) stays buffered until the
// buffer is full.
//
// Here the SettingEngine's BufferFactory gives every RTCP read stream a
// sink that keeps nothing: a subscribe connection's sink hands each packet,
// on the SRTCP session's own goroutine, to the connection's rtcpIn, which
// passes transport-wide feedback through the bandwidth estimator's reader
// (bwe.BindRTCPReader) and keyframe requests and NACKs to the track sent
// with that SSRC; a publish connection's sink drops what it is given, as
// nothing read it before either. pion's per-sender RTCP readers
// (RTPSender.Read and the interceptors' BindRTCPReader chains bound to
// it) are therefore never read on either connection: an interceptor that
// must see a subscriber's RTCP gets it from rtcpIn.deliver.

// rtcpIn dispatches one subscribe connection's incoming RTCP.
type rtcpIn struct {
	mu sync.Mutex
	// byssrc are the tracks this connection subscribes to, by the SSRC
	// each is sent with: a subscriber's NACK or PLI names it.
	byssrc map[uint32]*forwarder
	// bwe reads transport-wide feedback through the estimator's
	// interceptor reader; nil until the estimator is attached.
	bwe interceptor.RTCPReader
	// cur is the packet being delivered, read once by bwe's chain; attrs
	// carries its parse from that reader to the dispatch (one unmarshal).
	cur   []byte
	attrs interceptor.Attributes
}

func newRTCPIn() *rtcpIn {
	return &rtcpIn{byssrc: map[uint32]*forwarder{}, attrs: interceptor.Attributes{}}
}

// attach makes b's interceptor reader see the connection's feedback.
func (in *rtcpIn) attach(b *bwe) {
	if b == nil {
		return
	}
	r := b.BindRTCPReader(interceptor.RTCPReaderFunc(func(buf []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		// Called by deliver, under in.mu.
		return copy(buf, in.cur), a, nil
	}))
	in.mu.Lock()
	in.bwe = r
	in.mu.Unlock()
}

// add says f is sent to this connection with ssrc; remove forgets it.
func (in *rtcpIn) add(ssrc uint32, f *forwarder) {
	in.mu.Lock()
	in.byssrc[ssrc] = f
	in.mu.Unlock()
}

func (in *rtcpIn) remove(ssrc uint32, f *forwarder) {
	in.mu.Lock()
	if in.byssrc[ssrc] == f {
		delete(in.byssrc, ssrc)
	}
	in.mu.Unlock()
}

// buffers is the subscribe connection's BufferFactory.
func (in *rtcpIn) buffers(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind == packetio.RTCPBufferPacket {
		return &rtcpSink{ssrc: ssrc, in: in, closed: make(chan struct{})}
	}
	return newRTPQueue()
}

// deliver takes one RTCP packet (not a compound: SRTCP splits those)
// addressed to ssrc; buf is the SRTCP session's and is not kept.
func (in *rtcpIn) deliver(ssrc uint32, buf []byte) {
	// Only feedback is acted on. Reports (SR, RR, SDES, BYE, XR) are
	// dropped unparsed: a receiver report naming every stream of the
	// connection comes here once per stream it names.
	if len(buf) < 12 || (rtcp.PacketType(buf[1]) != rtcp.TypeTransportSpecificFeedback && rtcp.PacketType(buf[1]) != rtcp.TypePayloadSpecificFeedback) {
		return
	}
	in.mu.Lock()
	clear(in.attrs)
	in.cur = buf
	if in.bwe != nil {
		if _, _, err := in.bwe.Read(buf, in.attrs); err != nil {
			in.cur = nil
			in.mu.Unlock()
			return
		}
	}
	in.cur = nil
	pkts, err := in.attrs.GetRTCPPackets(buf)
	f := in.byssrc[ssrc]
	in.mu.Unlock()
	if err != nil || f == nil {
		return
	}
	for _, p := range pkts {
		f.onRTCP(p, ssrc)
	}
}

// rtcpSink is an RTCP read stream's buffer that keeps nothing: each
// packet goes to in (a subscribe connection's) or nowhere (a publish
// connection's). Read waits until the stream is closed: nobody reads it.
type rtcpSink struct {
	ssrc      uint32
	in        *rtcpIn // nil: drop
	closeOnce sync.Once
	closed    chan struct{}
}

func (s *rtcpSink) Write(b []byte) (int, error) {
	select {
	case <-s.closed:
		return 0, io.ErrClosedPipe
	default:
	}
	if s.in != nil {
		s.in.deliver(s.ssrc, b)
	}
	return len(b), nil
}

func (s *rtcpSink) Read([]byte) (int, error) {
	<-s.closed
	return 0, io.EOF
}

func (s *rtcpSink) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// SetReadDeadline is accepted and means nothing: Read only returns when
// the stream closes.
func (s *rtcpSink) SetReadDeadline(time.Time) error { return nil }

// publishBuffers is the publish connections' BufferFactory: RTCP from a
// publisher (its sender reports) is dropped, RTP queued (rtpqueue.go).
func publishBuffers(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind == packetio.RTCPBufferPacket {
		return &rtcpSink{ssrc: ssrc, closed: make(chan struct{})}
	}
	return newRTPQueue()
}

// subscribeAPI is the WebRTC API one subscribe connection is made with:
// the shared one's, with in taking its incoming RTCP.
func (s *SFU) subscribeAPI(in *rtcpIn) *webrtc.API {
	se := s.settings
	se.BufferFactory = in.buffers
	return webrtc.NewAPI(webrtc.WithMediaEngine(s.media), webrtc.WithInterceptorRegistry(s.subReg), webrtc.WithSettingEngine(se))
}
