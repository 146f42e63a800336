package sfu

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// recordRTCP keeps every Write: one a datagram.
type recordRTCP struct {
	mu     sync.Mutex
	writes [][]rtcp.Packet
	wrote  chan struct{}
}

func (r *recordRTCP) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	r.mu.Lock()
	var cp []rtcp.Packet
	for _, p := range pkts {
		sr := *p.(*rtcp.SenderReport) // the interceptor reuses its reports
		cp = append(cp, &sr)
	}
	r.writes = append(r.writes, cp)
	r.mu.Unlock()
	r.wrote <- struct{}{}
	return 0, nil
}

// TestSenderReportsBundled: a connection's sender reports go out together,
// once an interval, at most srPerPacket to a compound packet (pion's
// interceptor wrote one datagram per track); a stream that never sent has
// none, and one silent for two intervals stops having them until it sends
// again. What each report says (SSRC, packets, octets, RTP time advanced
// by the clock since its last frame) is what pion's says.
func TestSenderReportsBundled(t *testing.T) {
	ticks := make(chan time.Time)
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	f := &senderReportsFactory{
		tick: func() <-chan time.Time { return ticks },
		now:  func() time.Time { clock.Lock(); defer clock.Unlock(); return now },
	}
	advance := func(d time.Duration) { clock.Lock(); now = now.Add(d); clock.Unlock() }
	it, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	rec := &recordRTCP{wrote: make(chan struct{}, 16)}
	it.BindRTCPWriter(rec)
	const streams, silent = 45, 2 // 45 bound, the last 2 never send
	writers := make([]interceptor.RTPWriter, streams)
	for i := range writers {
		writers[i] = it.BindLocalStream(&interceptor.StreamInfo{SSRC: uint32(1000 + i), ClockRate: 90000},
			interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	}
	send := func(i int, seq uint16, ts uint32) {
		if _, err := writers[i].Write(&rtp.Header{SSRC: uint32(1000 + i), SequenceNumber: seq, Timestamp: ts}, make([]byte, 100+i), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range streams - silent {
		send(i, 1, 3000)
		send(i, 2, 3000) // same frame
	}
	advance(500 * time.Millisecond)
	tick := func(wantWrites int) [][]rtcp.Packet {
		t.Helper()
		rec.mu.Lock()
		from := len(rec.writes)
		rec.mu.Unlock()
		ticks <- now
		for range wantWrites {
			select {
			case <-rec.wrote:
			case <-time.After(10 * time.Second):
				t.Fatalf("gave up waiting for %d writes", wantWrites)
			}
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return rec.writes[from:]
	}
	got := tick(2)
	if len(got) != 2 || len(got[0]) != srPerPacket || len(got[1]) != streams-silent-srPerPacket {
		t.Fatalf("writes of %v reports, want 2 writes of %d and %d", lens(got), srPerPacket, streams-silent-srPerPacket)
	}
	seen := map[uint32]*rtcp.SenderReport{}
	for _, w := range got {
		for _, p := range w {
			sr := p.(*rtcp.SenderReport)
			seen[sr.SSRC] = sr
		}
	}
	for i := range streams {
		sr, ok := seen[uint32(1000+i)]
		if i >= streams-silent {
			if ok {
				t.Errorf("stream %d never sent but has a report", i)
			}
			continue
		}
		if !ok {
			t.Errorf("stream %d has no report", i)
			continue
		}
		// 500 ms after its frame at 90 kHz: 45,000 ticks on.
		if sr.PacketCount != 2 || sr.OctetCount != uint32(2*(100+i)) || sr.RTPTime != 3000+45000 || sr.NTPTime != ntpTime(now) {
			t.Errorf("stream %d: report %+v", i, sr)
		}
	}
	if _, err := rtcp.Marshal(got[0]); err != nil {
		t.Errorf("the compound packet does not marshal: %v", err)
	}
	if b, _ := rtcp.Marshal(got[0]); len(b)+14 > 1200 {
		t.Errorf("a compound packet of %d bytes (with SRTCP's 14): over 1200", len(b)+14)
	}

	// Only stream 0 goes on sending: the others are reported once more
	// (silent one interval), then not, until they send again.
	send(0, 3, 6000)
	if got := tick(2); countReports(got) != streams-silent {
		t.Errorf("after one silent interval: %d reports, want %d", countReports(got), streams-silent)
	}
	send(0, 4, 9000)
	if got := tick(1); countReports(got) != 1 || got[0][0].(*rtcp.SenderReport).SSRC != 1000 {
		t.Errorf("after two silent intervals: %v, want stream 0's alone", got)
	}
	send(5, 3, 6000)
	got = tick(1)
	ssrcs := map[uint32]bool{}
	for _, p := range got[0] {
		ssrcs[p.(*rtcp.SenderReport).SSRC] = true
	}
	if len(got[0]) != 2 || !ssrcs[1000] || !ssrcs[1005] {
		t.Errorf("stream 5 sent again, stream 0 silent once: want both reported, got %v", got)
	}
}

func lens(w [][]rtcp.Packet) []int {
	var n []int
	for _, p := range w {
		n = append(n, len(p))
	}
	return n
}

func countReports(w [][]rtcp.Packet) int {
	n := 0
	for _, p := range w {
		n += len(p)
	}
	return n
}

// TestSubscriberGetsSenderReports: through a router, a subscriber of two
// publishers' videos gets sender reports for both tracks from the bundling
// interceptor, counting what it sent. (pion's SRTCP session splits a
// compound packet by destination SSRC, so a receiver cannot tell whether
// they came together; TestSenderReportsBundled checks that, and the
// veth's packet count in scripts/measure-perf shows the datagrams saved.)
func TestSubscriberGetsSenderReports(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("sr", nopEvents{})
	defer r.Close()
	wapi := clientAPI(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	for _, id := range []string{"a", "b"} {
		c := newTestClient(t, r, id, wapi)
		track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", id)
		if err != nil {
			t.Fatal(err)
		}
		c.publish(track)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96}, Payload: []byte{0x10, 0x01, 0x02, 0x03}}
			for {
				select {
				case <-stop:
					return
				case <-time.After(30 * time.Millisecond):
					pkt.SequenceNumber++
					pkt.Timestamp += 2700
					_ = track.WriteRTP(pkt)
				}
			}
		}()
	}
	sub := newTestClient(t, r, "sub", wapi)
	for range 2 {
		select {
		case <-sub.tracks:
		case <-time.After(20 * time.Second):
			t.Fatal("the subscriber did not get both tracks")
		}
	}
	var mu sync.Mutex
	reported := map[uint32]uint32{} // SSRC: packets it says were sent
	deadline := time.Now().Add(20 * time.Second)
	for _, recv := range sub.sub.GetReceivers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = recv.SetReadDeadline(deadline)
			for {
				pkts, _, err := recv.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					if sr, ok := p.(*rtcp.SenderReport); ok && sr.PacketCount > 0 {
						mu.Lock()
						reported[sr.SSRC] = sr.PacketCount
						mu.Unlock()
					}
				}
			}
		}()
	}
	for _, recv := range sub.sub.GetReceivers() {
		ssrc := uint32(recv.Track().SSRC())
		for {
			mu.Lock()
			n := reported[ssrc]
			mu.Unlock()
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no sender report with packets for track %d", ssrc)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, recv := range sub.sub.GetReceivers() {
		_ = recv.SetReadDeadline(time.Now())
	}
}

// BenchmarkSenderReportWrite is what noting a sent packet for its sender
// report costs, per packet, with pion's interceptor and with the bundling
// one, for video frames of 4 packets (one timestamp each): count it with
// valgrind --tool=callgrind --toggle-collect='*srWriteLoop*' (instructions
// do not depend on the machine's load).
func BenchmarkSenderReportWrite(b *testing.B) {
	pionSR, err := report.NewSenderInterceptor()
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    interceptor.Factory
	}{{"pion", pionSR}, {"bundled", &senderReportsFactory{}}} {
		b.Run(tt.name, func(b *testing.B) {
			it, err := tt.f.NewInterceptor("")
			if err != nil {
				b.Fatal(err)
			}
			defer it.Close()
			w := it.BindLocalStream(&interceptor.StreamInfo{SSRC: 1, ClockRate: 90000},
				interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
			b.ReportAllocs()
			srWriteLoop(b, w)
		})
	}
}

func srWriteLoop(b *testing.B, w interceptor.RTPWriter) {
	h := &rtp.Header{SSRC: 1}
	payload := make([]byte, 1100)
	for i := 0; b.Loop(); i++ {
		h.SequenceNumber++
		h.Timestamp = uint32(i/4) * 6000
		_, _ = w.Write(h, payload, nil)
	}
}
