package udpbatch

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// pair is a Conn on loopback and receivers to send to.
func pair(t *testing.T, receivers int) (*Conn, []*net.UDPConn) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b := New(c)
	t.Cleanup(func() { c.Close() })
	var rs []*net.UDPConn
	for range receivers {
		r, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		_ = r.SetReadBuffer(4 << 20)
		t.Cleanup(func() { r.Close() })
		rs = append(rs, r)
	}
	return b, rs
}

func addrOf(r *net.UDPConn) netip.AddrPort { return r.LocalAddr().(*net.UDPAddr).AddrPort() }

// readN reads n datagrams from r (generous deadline) and returns them.
func readN(t *testing.T, r *net.UDPConn, n int) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 70000)
	_ = r.SetReadDeadline(time.Now().Add(20 * time.Second))
	for len(got) < n {
		k, _, err := r.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("read %d of %d datagrams: %v", len(got), n, err)
		}
		got = append(got, string(buf[:k]))
	}
	return got
}

// TestQueuesABurst: between Begin and End the datagrams written are
// queued and leave in sendmmsg calls of up to Batch, each to its own
// address, whole and in order; with no burst open a write goes out at
// once, one call each.
func TestQueuesABurst(t *testing.T) {
	b, rs := pair(t, 3)
	if _, err := b.WriteToAddrPort([]byte("alone"), addrOf(rs[0])); err != nil {
		t.Fatal(err)
	}
	if s := b.Stats(); s.Calls != 1 || s.Datagrams != 1 {
		t.Fatalf("a write outside a burst: %+v, want 1 call and 1 datagram", s)
	}
	if got := readN(t, rs[0], 1); got[0] != "alone" {
		t.Fatalf("got %q", got)
	}

	const n = 100 // 64 + 36
	b.Begin()
	for i := range n {
		// Sizes grow, so no two datagrams to one receiver share a GSO
		// message: this counts sendmmsg alone.
		p := fmt.Sprintf("p%03d%s", i, bytes.Repeat([]byte{'x'}, i))
		if k, err := b.WriteToAddrPort([]byte(p), addrOf(rs[i%3])); err != nil || k != len(p) {
			t.Fatalf("queued write %d: %d, %v", i, k, err)
		}
	}
	if c := b.Stats().Calls; c != 2 {
		t.Errorf("after %d queued writes: %d calls so far, want 2 (the first %d left when the batch filled)", n, c, Batch)
	}
	b.End()
	if s := b.Stats(); s.Calls != 3 || s.Datagrams != n+1 || s.Segmented != 0 {
		t.Errorf("after the burst: %+v, want 3 calls, %d datagrams, none segmented", s, n+1)
	}
	for j, r := range rs {
		got := readN(t, r, (n-j+2)/3)
		for k, g := range got {
			if want := fmt.Sprintf("p%03d", j+3*k); g[:4] != want || len(g) != 4+j+3*k {
				t.Fatalf("receiver %d, datagram %d: %q, want %s…", j, k, g, want)
			}
		}
	}
}

// TestSegmentsRunsToOneAddress: datagrams to one address in a burst leave
// as one GSO message while their sizes allow (equal, the last no larger),
// and arrive as the datagrams written, in order; a larger one starts a
// message of its own. Without GSO every datagram would be a message.
func TestSegmentsRunsToOneAddress(t *testing.T) {
	b, rs := pair(t, 2)
	a, o := addrOf(rs[0]), addrOf(rs[1])
	pkt := func(tag byte, n int) []byte { return bytes.Repeat([]byte{tag}, n) }
	want := [][]byte{pkt('a', 1000), pkt('b', 1000), pkt('c', 700), pkt('d', 900), pkt('e', 1200)}
	b.Begin()
	for i, p := range want {
		if _, err := b.WriteToAddrPort(p, a); err != nil {
			t.Fatal(err)
		}
		if _, err := b.WriteToAddrPort(pkt(byte('0'+i), 300), o); err != nil {
			t.Fatal(err)
		}
	}
	b.End()
	got := readN(t, rs[0], len(want))
	for i := range want {
		if got[i] != string(want[i]) {
			t.Fatalf("datagram %d to the first receiver: %d bytes of %q, want %d of %q", i, len(got[i]), got[i][:1], len(want[i]), want[i][:1])
		}
	}
	other := readN(t, rs[1], 5)
	for i, g := range other {
		if g != string(pkt(byte('0'+i), 300)) {
			t.Fatalf("datagram %d to the second receiver: %q…", i, g[:1])
		}
	}
	s := b.Stats()
	if b.noGSO.Load() {
		t.Fatalf("the kernel refused UDP_SEGMENT on loopback: %+v", s)
	}
	// To a: [a b c] (1000, 1000, 700), [d] (900), [e] (1200, larger than
	// d); to o: five of 300 in one. 8 of 10 datagrams segmented.
	if s.Calls != 1 || s.Datagrams != 10 || s.Segmented != 8 {
		t.Errorf("%+v, want 1 call, 10 datagrams, 8 of them in GSO messages", s)
	}
}

// TestConcurrent: bursts on several goroutines, and writers outside any,
// lose nothing: every datagram arrives (run with -race).
func TestConcurrent(t *testing.T) {
	b, rs := pair(t, 1)
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				burst := w%2 == 0
				if burst {
					b.Begin()
				}
				_, _ = b.WriteToAddrPort([]byte(fmt.Sprintf("w%d-%d", w, i)), addrOf(rs[0]))
				_, _ = b.WriteToAddrPort([]byte(fmt.Sprintf("w%d-%d+", w, i)), addrOf(rs[0]))
				if burst {
					b.End()
				}
			}
		})
	}
	got := readN(t, rs[0], 2*writers*each)
	wg.Wait()
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	if len(seen) != 2*writers*each {
		t.Errorf("%d distinct datagrams of %d", len(seen), 2*writers*each)
	}
}

// TestAllocates: a burst allocates nothing once its batches exist.
func TestAllocates(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own account")
	}
	b, rs := pair(t, 2)
	go func() {
		buf := make([]byte, 70000)
		for {
			// ReadFromUDPAddrPort: allocations are counted process-wide.
			if _, _, err := rs[0].ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	go func() {
		buf := make([]byte, 70000)
		for {
			if _, _, err := rs[1].ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	p, to, other := make([]byte, 1100), addrOf(rs[0]), addrOf(rs[1])
	burst := func() {
		b.Begin()
		for range 10 {
			_, _ = b.WriteToAddrPort(p, to)
			_, _ = b.WriteToAddrPort(p[:200], other)
		}
		b.End()
	}
	burst()
	if n := testing.AllocsPerRun(100, burst); n != 0 {
		t.Errorf("%v allocations a burst of 20, want 0", n)
	}
}
