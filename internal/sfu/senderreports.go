package sfu

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Sender reports, bundled. A subscriber's player needs an RTCP sender
// report now and then for each track it receives, to map RTP time to wall
// time (audio/video sync). pion's report.SenderInterceptor writes one
// datagram per track per second: 48 a second to each subscriber of a
// 25-person room, about 3% of what roomsd sends. This one writes, once a
// second per PeerConnection, every track's report in compound RTCP packets
// of up to srPerPacket reports (one datagram each), and leaves out tracks
// that have sent nothing for two intervals (a hidden video, a voice not
// forwarded): RFC 3550 §6.4 counts only those who sent recently as
// senders. Per packet it takes a lock and reads the clock only when the
// RTP timestamp changes (a new frame), where pion reads it per packet.

// srInterval is how often each connection reports.
const srInterval = time.Second

// srPerPacket bounds a compound packet: 28 bytes a report, so 40 make
// 1,120 bytes, under the 1,200 the SFU keeps RTP to once SRTCP's tag and
// index are added.
const srPerPacket = 40

type senderReportsFactory struct {
	// tick, when set (tests), replaces the interval's ticker.
	tick func() <-chan time.Time
	now  func() time.Time
}

func (f *senderReportsFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	now := f.now
	if now == nil {
		now = time.Now
	}
	return &senderReports{tick: f.tick, now: now, streams: map[uint32]*srStream{}, done: make(chan struct{})}, nil
}

// senderReports is one PeerConnection's: its streams and one goroutine
// that reports them (started by BindRTCPWriter, stopped by Close).
type senderReports struct {
	interceptor.NoOp
	tick func() <-chan time.Time
	now  func() time.Time

	mu      sync.Mutex
	streams map[uint32]*srStream
	closed  bool
	started bool

	done chan struct{}
	wg   sync.WaitGroup
}

// srStream is what one sent stream's report says.
type srStream struct {
	ssrc      uint32
	clockRate float64

	mu       sync.Mutex
	sent     bool
	lastSeq  uint16
	lastTS   uint32    // RTP timestamp of the newest packet
	lastAt   time.Time // when a packet with lastTS was first sent
	packets  uint32
	octets   uint32
	reported uint32 // packets at the last report
	idle     int    // reports in a row with no packet since the one before
}

func (s *senderReports) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.started {
		return w
	}
	s.started = true
	s.wg.Add(1)
	go s.loop(w)
	return w
}

func (s *senderReports) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	st := &srStream{ssrc: info.SSRC, clockRate: float64(info.ClockRate)}
	s.mu.Lock()
	s.streams[info.SSRC] = st
	s.mu.Unlock()
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		st.sentRTP(h, len(payload), s.now)
		return w.Write(h, payload, a)
	})
}

func (s *senderReports) UnbindLocalStream(info *interceptor.StreamInfo) {
	s.mu.Lock()
	delete(s.streams, info.SSRC)
	s.mu.Unlock()
}

func (s *senderReports) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *senderReports) loop(w interceptor.RTCPWriter) {
	defer s.wg.Done()
	tick := s.tick
	if tick == nil {
		t := time.NewTicker(srInterval)
		defer t.Stop()
		tick = func() <-chan time.Time { return t.C }
	}
	var (
		streams []*srStream
		pkts    []rtcp.Packet
		reports []rtcp.SenderReport // reused: one a stream
	)
	for {
		select {
		case <-s.done:
			return
		case <-tick():
		}
		streams = streams[:0]
		s.mu.Lock()
		for _, st := range s.streams {
			streams = append(streams, st)
		}
		s.mu.Unlock()
		now := s.now()
		reports = reports[:0]
		for _, st := range streams {
			if r, ok := st.report(now); ok {
				reports = append(reports, r)
			}
		}
		for from := 0; from < len(reports); from += srPerPacket {
			pkts = pkts[:0]
			for i := from; i < min(from+srPerPacket, len(reports)); i++ {
				pkts = append(pkts, &reports[i])
			}
			_, _ = w.Write(pkts, interceptor.Attributes{}) // a lost report is sent again next second
		}
	}
}

// sentRTP notes a packet sent on the stream: pion's senderStream, with
// the clock read once a frame rather than once a packet.
func (st *srStream) sentRTP(h *rtp.Header, payloadLen int, now func() time.Time) {
	st.mu.Lock()
	diff := h.SequenceNumber - st.lastSeq
	if !st.sent || (diff > 0 && diff < 1<<15) {
		st.lastSeq = h.SequenceNumber
		if !st.sent || h.Timestamp != st.lastTS {
			st.lastTS, st.lastAt = h.Timestamp, now()
		}
		st.sent = true
	}
	st.packets++
	st.octets += uint32(payloadLen)
	st.mu.Unlock()
}

// report is the stream's sender report at now; ok is false for a stream
// that never sent, or sent nothing in the last two intervals.
func (st *srStream) report(now time.Time) (rtcp.SenderReport, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if !st.sent {
		return rtcp.SenderReport{}, false
	}
	if st.packets == st.reported {
		st.idle++
	} else {
		st.idle, st.reported = 0, st.packets
	}
	if st.idle >= 2 {
		return rtcp.SenderReport{}, false
	}
	return rtcp.SenderReport{
		SSRC:        st.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     st.lastTS + uint32(now.Sub(st.lastAt).Seconds()*st.clockRate),
		PacketCount: st.packets,
		OctetCount:  st.octets,
	}, true
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900, 32.32).
func ntpTime(t time.Time) uint64 {
	s := float64(t.UnixNano())/1e9 + 2208988800
	whole := uint32(s)
	frac := uint32((s - float64(whole)) * 0xFFFFFFFF)
	return uint64(whole)<<32 | uint64(frac)
}
