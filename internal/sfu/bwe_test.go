package sfu

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestBweNext(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name     string
		est      float64
		s        bweSample
		min, max float64 // the new estimate lies in [min, max]
	}{
		{"a queue: under what arrived", 1_000_000, bweSample{rate: 300_000, queue: 150 * ms, dt: 200 * ms}, 255_000, 255_000},
		{"a queue, but already under: kept", 200_000, bweSample{rate: 300_000, queue: 150 * ms, dt: 200 * ms}, 200_000, 200_000},
		{"heavy loss: under what arrived", 1_000_000, bweSample{rate: 600_000, loss: 0.4, dt: 200 * ms}, 510_000, 510_000},
		{"heavy loss, little arrived", 1_000_000, bweSample{rate: 100_000, loss: 0.5, dt: 200 * ms}, 85_000, 85_000},
		{"5 % loss, no queue: held", 800_000, bweSample{rate: 700_000, loss: 0.05, dt: 200 * ms}, 800_000, 800_000},
		{"quiet: grows about 8 % a second", 1_000_000, bweSample{rate: 900_000, dt: time.Second}, 1_080_000, 1_080_000},
		{"quiet, a short step: grows less", 1_000_000, bweSample{rate: 900_000, dt: 250 * ms}, 1_020_000, 1_020_000},
		{"quiet, but far above what is sent: not further", 2_000_000, bweSample{rate: 100_000, dt: time.Second}, 2_000_000, 2_000_000},
		{"quiet, little sent: grows up to its ceiling", 600_000, bweSample{rate: 50_000, dt: time.Second}, 575_000, 648_000},
		{"a mild queue: held", 500_000, bweSample{rate: 400_000, queue: 50 * ms, dt: time.Second}, 500_000, 500_000},
		{"until the first overuse: grows by half a second", 1_000_000, bweSample{rate: 1_000_000, dt: time.Second, start: true}, 1_500_000, 1_500_000},
		{"until the first overuse, but not far past what is sent", 1_000_000, bweSample{rate: 200_000, dt: time.Second, start: true}, 1_000_000, 1_000_000},
		{"never under the floor", 60_000, bweSample{rate: 10_000, queue: time.Second, dt: time.Second}, bweMin, bweMin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := bweNext(tc.est, tc.s)
			if got < tc.min-1 || got > tc.max+1 {
				t.Errorf("bweNext(%.0f, %+v) = %.0f, want %.0f..%.0f", tc.est, tc.s, got, tc.min, tc.max)
			}
		})
	}
}

// feedbackRig sends packets through a bwe's stamping writer as a
// subscribe connection would, and answers them with transport-cc
// feedback as a subscriber behind a link of a given rate would.
type feedbackRig struct {
	b    *bwe
	w    interceptor.RTPWriter
	seqs []uint16
}

func newFeedbackRig(t *testing.T) *feedbackRig {
	r := &feedbackRig{b: &bwe{}}
	r.b.pace.off = true // the tests stamp send times themselves
	info := &interceptor.StreamInfo{SSRC: 7, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: twccURI, ID: 3}}}
	r.w = r.b.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
		var ext rtp.TransportCCExtension
		if err := ext.Unmarshal(h.GetExtension(3)); err != nil {
			t.Fatalf("a packet went out without its transport-wide number: %v", err)
		}
		r.seqs = append(r.seqs, ext.TransportSequence)
		return 0, nil
	}))
	return r
}

// feedback builds one feedback packet for seqs from base, each arriving
// at arrivals[i] µs after the reference (lost: -1).
func feedback(base uint16, ref uint32, arrivals []int64) *rtcp.TransportLayerCC {
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: base, PacketStatusCount: uint16(len(arrivals)), ReferenceTime: ref}
	var syms []uint16
	prev := int64(0)
	for _, a := range arrivals {
		if a < 0 {
			syms = append(syms, rtcp.TypeTCCPacketNotReceived)
			continue
		}
		d := a - prev
		prev = a
		typ := uint16(rtcp.TypeTCCPacketReceivedSmallDelta)
		if d > 63_750 || d < 0 {
			typ = rtcp.TypeTCCPacketReceivedLargeDelta
		}
		syms = append(syms, typ)
		fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: typ, Delta: d})
	}
	for i := 0; i < len(syms); i += 7 {
		fb.PacketChunks = append(fb.PacketChunks, &rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: syms[i:min(i+7, len(syms))]})
	}
	return fb
}

// TestBweNarrowLink: packets sent at 1 Mbit/s through a 300 kbit/s link
// (each arrives when the link has carried the ones before, the queue
// growing) bring the estimate under 300 kbit/s; the same packets over a
// link that carries them keep it up; one that loses half brings it down.
func TestBweNarrowLink(t *testing.T) {
	const size = 1000 // bytes a packet, payload and header
	run := func(linkBps float64, lossEvery int) int64 {
		r := newFeedbackRig(t)
		now := int64(time.Hour)
		payload := make([]byte, size-12)
		gap := int64(8 * size * time.Second / 1_000_000) // 1 Mbit/s
		linkFree := int64(0)                             // µs on the receiver's clock
		for round := range 20 {
			base := uint16(round * 25)
			var arrivals []int64
			for i := range 25 {
				sent := now + int64(i)*gap
				h := rtp.Header{Version: 2, SSRC: 7, SequenceNumber: uint16(round*25 + i)}
				if _, err := r.w.Write(&h, payload, nil); err != nil {
					t.Fatal(err)
				}
				// The writer stamped time.Now(); the rig's clock is its own:
				// put the departure where the rig says it was.
				seq := r.seqs[len(r.seqs)-1]
				r.b.sent[seq&(sentRing-1)].at = sent
				sentUs := sent / 1000
				arr := max(sentUs, linkFree) + int64(8*size*1e6/linkBps)
				linkFree = arr
				if lossEvery > 0 && i%lossEvery == 0 {
					arrivals = append(arrivals, -1)
				} else {
					arrivals = append(arrivals, arr)
				}
			}
			now += 25 * gap
			ref := uint32(arrivals[0] / 64_000)
			if arrivals[0] < 0 {
				ref = uint32(arrivals[1] / 64_000)
			}
			rel := make([]int64, len(arrivals))
			for i, a := range arrivals {
				rel[i] = -1
				if a >= 0 {
					rel[i] = a - int64(ref)*64_000
				}
			}
			r.b.onFeedback(feedback(base, ref, rel), now)
		}
		return r.b.Estimate()
	}
	if est := run(300_000, 0); est <= 0 || est > 300_000 {
		t.Errorf("through a 300 kbit/s link the estimate is %d bit/s, want under 300000", est)
	}
	if est := run(10_000_000, 0); est < 1_000_000 {
		t.Errorf("through a 10 Mbit/s link the estimate is %d bit/s, want at least the 1 Mbit/s sent", est)
	}
	if est := run(10_000_000, 2); est > 600_000 {
		t.Errorf("losing half the packets the estimate is %d bit/s, want under 600000", est)
	}
}

// TestBweNoFeedbackNoEstimate: until feedback comes there is no estimate
// (a subscriber without transport-cc is never limited).
func TestBweNoFeedbackNoEstimate(t *testing.T) {
	r := newFeedbackRig(t)
	for i := range 100 {
		h := rtp.Header{Version: 2, SSRC: 7, SequenceNumber: uint16(i)}
		if _, err := r.w.Write(&h, make([]byte, 100), nil); err != nil {
			t.Fatal(err)
		}
	}
	if est := r.b.Estimate(); est != 0 {
		t.Errorf("estimate %d without feedback, want 0", est)
	}
	for i, s := range r.seqs {
		if s != uint16(i) {
			t.Fatalf("packet %d numbered %d: numbers must run on", i, s)
		}
	}
}

// TestBweStampAllocatesNothing: numbering and recording a packet costs no
// allocation (the forwarding path allocates nothing, BenchmarkForward).
func TestBweStampAllocatesNothing(t *testing.T) {
	b := &bwe{}
	info := &interceptor.StreamInfo{SSRC: 7, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: twccURI, ID: 3}}}
	w := b.BindLocalStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	payload := make([]byte, 1000)
	shared := make([]rtp.Extension, 0, 4) // as a header copied from the publisher's packet
	var h rtp.Header
	allocs := testing.AllocsPerRun(1000, func() {
		h = rtp.Header{Version: 2, SSRC: 7, Extensions: shared[:0]}
		_, _ = w.Write(&h, payload, nil)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations a packet, want 0", allocs)
	}
	if h.GetExtension(3) == nil {
		t.Error("the packet has no transport-wide number")
	}
	if other := (rtp.Header{Extension: true, ExtensionProfile: rtp.ExtensionProfileOneByte, Extensions: shared[:1]}); other.GetExtension(3) != nil {
		t.Error("the number was written into the array the header shared with another packet")
	}
}

// TestBweLateIsNotLost: packets a first feedback reports missing and a
// second reports arrived (a pion receiver reading one stream late) are
// not a loss: the estimate does not fall.
func TestBweLateIsNotLost(t *testing.T) {
	r := newFeedbackRig(t)
	now := int64(time.Hour)
	payload := make([]byte, 988)
	for i := range 40 {
		h := rtp.Header{Version: 2, SSRC: 7, SequenceNumber: uint16(i)}
		if _, err := r.w.Write(&h, payload, nil); err != nil {
			t.Fatal(err)
		}
		r.b.sent[r.seqs[i]&(sentRing-1)].at = now + int64(i)*int64(5*time.Millisecond)
	}
	arr := func(i int) int64 { return int64(i) * 5000 } // µs: as sent, no queue
	// First: 0..19 arrived, 20..39 not (yet).
	first := make([]int64, 40)
	for i := range first {
		first[i] = -1
		if i < 20 {
			first[i] = arr(i)
		}
	}
	r.b.onFeedback(feedback(0, 0, first), now+int64(100*time.Millisecond))
	// Then all of 20..39 after all.
	second := make([]int64, 20)
	for i := range second {
		second[i] = arr(20+i) - arr(20) + 64_000
	}
	r.b.onFeedback(feedback(20, 1, second), now+int64(300*time.Millisecond))
	r.b.mu.Lock()
	lost := r.b.w.lost
	r.b.mu.Unlock()
	if est := r.b.Estimate(); est < bweInitial {
		t.Errorf("estimate %d after packets came late, want at least the initial %d", est, bweInitial)
	}
	if lost > 0 {
		t.Errorf("%d packets counted lost that arrived", lost)
	}
}

// TestBweCeilingAfterDecrease: after a decrease the estimate may grow
// back to what arrived while the link was full, not to 0.9 × the
// estimate it fell from; a cascade of decreases (the same congestion
// draining) keeps the highest such rate instead of ratcheting down.
func TestBweCeilingAfterDecrease(t *testing.T) {
	s := int64(time.Second)
	tests := []struct {
		name    string
		st      bweState
		now     int64
		arrived float64
		want    float64
	}{
		{"first decrease", bweState{}, 100 * s, 260_000, 260_000},
		{"a probe's estimate is not the link", bweState{est: 397_000}, 100 * s, 233_000, 233_000},
		{"a cascade keeps the higher", bweState{downAt: 99 * s, ceiling: 260_000}, 100 * s, 150_000, 260_000},
		{"a cascade that finds more takes it", bweState{downAt: 99 * s, ceiling: 200_000}, 100 * s, 250_000, 250_000},
		{"a decrease after the ceiling's time starts afresh", bweState{downAt: 70 * s, ceiling: 900_000}, 100 * s, 250_000, 250_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.ceilingAfter(tt.now, tt.arrived); got != tt.want {
				t.Errorf("ceiling %v, want %v", got, tt.want)
			}
		})
	}
}
