package sfu

import (
	"runtime"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestUnreadRTCPIsNotKept: RTCP the SFU does not act on is not buffered.
// A subscriber's receiver reports naming SSRCs the SFU never sent (pion
// opens a read stream for each, which nobody reads) used to stay in each
// stream's buffer, up to 100 KB a stream, for as long as the connection
// lived; a NACK after them is still answered, so they were all taken.
func TestUnreadRTCPIsNotKept(t *testing.T) {
	s, sub, remote := numberedVideo(t, "rtcp")
	if _, _, err := remote.ReadRTP(); err != nil {
		t.Fatal(err)
	}

	const streams, reports = 30, 400 // 30 unknown SSRCs, each named 400 times
	rr := &rtcp.ReceiverReport{SSRC: 1}
	for i := range streams {
		rr.Reports = append(rr.Reports, rtcp.ReceptionReport{SSRC: 0x5000_0000 + uint32(i)})
	}
	// The same burst naming no SSRC first: pion's buffers on the way in
	// (ICE, the DTLS/SRTP demultiplexer) grow to a burst's size and stay.
	burst(t, s, sub, remote, &rtcp.ReceiverReport{SSRC: 1}, reports)
	before := liveHeap()
	burst(t, s, sub, remote, rr, reports)
	// Each report is about 750 bytes and reached 30 streams 400 times:
	// buffered, 30 × 100 KB.
	if grown := liveHeap() - before; grown > 1<<20 {
		t.Errorf("the live heap grew by %d KB after %d receiver reports naming %d unknown SSRCs; want under 1 MB (nothing kept)",
			grown>>10, reports, streams)
	}
}

// burst sends n copies of pkt from sub, then a NACK, and returns once the
// NACK is answered: the SFU reads a connection's RTCP in order, so every
// copy was taken by then.
func burst(t *testing.T, s *SFU, sub *testClient, remote *webrtc.TrackRemote, pkt rtcp.Packet, n int) {
	t.Helper()
	for range n {
		if err := sub.sub.WriteRTCP([]rtcp.Packet{pkt}); err != nil {
			t.Fatal(err)
		}
	}
	var last *rtp.Packet
	var err error
	for range 5 {
		if last, _, err = remote.ReadRTP(); err != nil {
			t.Fatal(err)
		}
	}
	was := s.Retransmitted()
	if err := sub.sub.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: uint32(remote.SSRC()),
		Nacks: rtcp.NackPairsFromSequenceNumbers([]uint16{last.SequenceNumber - 2})}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Retransmitted() == was && time.Now().Before(deadline) {
		if _, _, err := remote.ReadRTP(); err != nil {
			t.Fatal(err)
		}
	}
	if s.Retransmitted() == was {
		t.Fatal("the NACK after the burst was never answered")
	}
}

// liveHeap is the heap live after two collections (a sync.Pool's
// objects go in the second).
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
