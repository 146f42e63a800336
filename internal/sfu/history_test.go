package sfu

import (
	"encoding/binary"
	"testing"
	"time"
	"unsafe"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// TestNacksAreAnsweredFromHistory: a subscriber that reports packets lost
// gets them again, with its own SSRC and the publisher's payload, from the
// forwarder's one history; packets older than the history are not resent.
func TestNacksAreAnsweredFromHistory(t *testing.T) {
	s, sub, remote := numberedVideo(t, "nack")
	first, _, err := remote.ReadRTP()
	if err != nil {
		t.Fatal(err)
	}
	// Wait until history holds more than historySize packets after first.
	for {
		p, _, err := remote.ReadRTP()
		if err != nil {
			t.Fatal(err)
		}
		if p.SequenceNumber-first.SequenceNumber > historySize+10 {
			break
		}
	}
	latest := first.SequenceNumber + historySize + 10
	want := []uint16{latest - 3, latest - 2}
	lost := append([]uint16{first.SequenceNumber}, want...) // the first is too old by now
	if err := sub.sub.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: uint32(remote.SSRC()),
		Nacks: rtcp.NackPairsFromSequenceNumbers(lost)}}); err != nil {
		t.Fatal(err)
	}
	resent := map[uint16]bool{}
	deadline := time.Now().Add(20 * time.Second)
	for len(resent) < len(want) && time.Now().Before(deadline) {
		p, _, err := remote.ReadRTP()
		if err != nil {
			t.Fatal(err)
		}
		if p.SequenceNumber-latest < 0x8000 && p.SequenceNumber != want[0] && p.SequenceNumber != want[1] {
			continue // a new packet
		}
		if p.SequenceNumber == first.SequenceNumber {
			t.Fatalf("packet %d, older than the history, was resent", p.SequenceNumber)
		}
		if got := binary.BigEndian.Uint16(p.Payload[1:]); got != p.SequenceNumber {
			t.Fatalf("packet %d came back with the payload of %d", p.SequenceNumber, got)
		}
		if p.SSRC != uint32(remote.SSRC()) {
			t.Fatalf("resent with SSRC %d, want the subscriber's %d", p.SSRC, remote.SSRC())
		}
		resent[p.SequenceNumber] = true
	}
	if len(resent) != len(want) {
		t.Fatalf("resent %v, want %v", resent, want)
	}
	if n := s.Retransmitted(); n != 2 {
		t.Errorf("Retransmitted() = %d, want 2", n)
	}
	// The receiver asks again at once (as pion's does every 100 ms while
	// the answer is on its way), and for one more: only the new one is
	// sent; the NACK's numbers are answered in order, so once it is back
	// the repeats have been refused.
	again := append(append([]uint16{}, want...), latest-1)
	if err := sub.sub.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: uint32(remote.SSRC()),
		Nacks: rtcp.NackPairsFromSequenceNumbers(again)}}); err != nil {
		t.Fatal(err)
	}
	for {
		p, _, err := remote.ReadRTP()
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the packet newly asked for was not sent again")
		}
		if p.SequenceNumber == latest-1 {
			break
		}
	}
	// The count is added once the whole NACK is answered.
	for s.Retransmitted() == 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.Retransmitted(); n != 3 {
		t.Errorf("Retransmitted() = %d after a repeated NACK, want 3 (the repeats answered again)", n)
	}
}

// TestHistoryReset: a suspended layer's history lets its packets go.
func TestHistoryReset(t *testing.T) {
	h := &history{}
	for seq := range uint16(200) {
		h.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq}, Payload: make([]byte, 1000)})
	}
	if _, _, ok := h.get(199); !ok {
		t.Fatal("the newest packet is not kept")
	}
	h.reset()
	for seq := range uint16(200) {
		if _, _, ok := h.get(seq); ok {
			t.Fatalf("packet %d is still kept after reset", seq)
		}
	}
	if h.slots != nil {
		t.Fatal("the slots are still held")
	}
	h.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: 7}, Payload: []byte{1, 2, 3}})
	if _, p, ok := h.get(7); !ok || len(p) != 3 {
		t.Errorf("after reset a new packet is not kept: %v %v", p, ok)
	}
}

// TestResendGuard: a packet is sent again at most once a resendEvery,
// whatever the NACKs repeat; other packets are not held back by it.
func TestResendGuard(t *testing.T) {
	ms := int64(time.Millisecond)
	var g resendGuard
	steps := []struct {
		seq  uint16
		at   int64 // ms
		want bool
	}{
		{10, 1000, true},
		{11, 1000, true},
		{10, 1100, false}, // the receiver asked again 100 ms later
		{10, 1299, false},
		{10, 1300, true}, // a resendEvery later: the answer was lost too
		{10 + historySize, 1310, true},
		{10, 1320, true}, // its slot went to another packet: allowed
	}
	for _, st := range steps {
		if got := g.allow(st.seq, st.at*ms); got != st.want {
			t.Errorf("packet %d at %d ms: allowed %v, want %v", st.seq, st.at, got, st.want)
		}
	}
}

// TestHistoryFollowsTheRate: a layer's history holds about a second of
// its media whatever its bitrate, every packet of the last 0.8 s comes
// back whole, and adding allocates nothing once the ring is sized.
func TestHistoryFollowsTheRate(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		fps, perFrame, bytes int
	}{
		{"150 kbps, 15 fps, 2 packets a frame", 15, 2, 625},
		{"500 kbps, 15 fps, 4 packets a frame", 15, 4, 1040},
		{"2.5 Mbps, 30 fps, 9 packets a frame", 30, 9, 1157},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &history{}
			var seq uint16 = 65000 // wraps on the way
			var ts uint32 = 4_000_000_000
			frames := 3 * tc.fps
			pkt := &rtp.Packet{Payload: make([]byte, tc.bytes)}
			send := func() {
				for range tc.perFrame {
					pkt.SequenceNumber, pkt.Timestamp = seq, ts
					binary.BigEndian.PutUint16(pkt.Payload, seq)
					h.add(pkt)
					seq++
				}
				ts += uint32(90000 / tc.fps)
			}
			for range frames {
				send()
			}
			perSecond := tc.fps * tc.perFrame * tc.bytes
			slots := int(unsafe.Sizeof(historySlot{})) * historySize
			if got, most := h.held(), perSecond*3/2+slots+4096; got > most {
				t.Errorf("holds %d bytes for %d bytes a second of media; want at most %d", got, perSecond, most)
			}
			recent := tc.fps * tc.perFrame * 8 / 10
			for back := 1; back <= recent; back++ {
				s := seq - uint16(back)
				hdr, payload, ok := h.get(s)
				if !ok {
					t.Fatalf("packet %d (%d back, of %d in 0.8 s) is not kept", s, back, recent)
				}
				if len(payload) != tc.bytes || binary.BigEndian.Uint16(payload) != s || hdr.SequenceNumber != s {
					t.Fatalf("packet %d came back as %d, %d bytes", s, binary.BigEndian.Uint16(payload), len(payload))
				}
			}
			if allocs := testing.AllocsPerRun(tc.fps, send); allocs != 0 {
				t.Errorf("%.1f allocations a frame, want 0", allocs)
			}
		})
	}
}
