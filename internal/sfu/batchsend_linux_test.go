package sfu

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// udpPair is a batchConn on loopback and receivers to send to.
func udpPair(t *testing.T, receivers int) (*batchConn, []*net.UDPConn) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	b := newBatchConn(c)
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

// readAll reads n datagrams from r (generous deadline) and returns them.
func readAll(t *testing.T, r *net.UDPConn, n int) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 2000)
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

// TestBatchConnQueuesAFanOut: between begin and end the datagrams written
// are queued and leave in sendmmsg calls of up to sendBatch, each to its
// own address, whole and in order; with no fan-out running a write goes
// out at once, one call each.
func TestBatchConnQueuesAFanOut(t *testing.T) {
	b, rs := udpPair(t, 3)
	if _, err := b.WriteToAddrPort([]byte("alone"), addrOf(rs[0])); err != nil {
		t.Fatal(err)
	}
	if c, d := b.calls.Load(), b.datagrams.Load(); c != 1 || d != 1 {
		t.Fatalf("a write outside a fan-out: %d calls for %d datagrams, want 1 and 1", c, d)
	}
	if got := readAll(t, rs[0], 1); got[0] != "alone" {
		t.Fatalf("got %q", got)
	}

	const n = 100 // 64 + 36
	b.begin()
	for i := range n {
		if k, err := b.WriteToAddrPort([]byte(fmt.Sprintf("p%03d", i)), addrOf(rs[i%3])); err != nil || k != 4 {
			t.Fatalf("queued write %d: %d, %v", i, k, err)
		}
	}
	if c := b.calls.Load(); c != 2 {
		t.Errorf("after %d queued writes: %d calls so far, want 2 (the first %d left when the batch filled)", n, c, sendBatch)
	}
	b.end()
	if c, d := b.calls.Load(), b.datagrams.Load(); c != 3 || d != n+1 {
		t.Errorf("after the fan-out: %d calls for %d datagrams, want 3 and %d", c, d, n+1)
	}
	for j, r := range rs {
		got := readAll(t, r, (n-j+2)/3)
		for k, g := range got {
			if want := fmt.Sprintf("p%03d", j+3*k); g != want {
				t.Fatalf("receiver %d, datagram %d: %q, want %q", j, k, g, want)
			}
		}
	}
}

// TestBatchConnConcurrent: fan-outs on several goroutines, and writers
// outside any, lose nothing: every datagram arrives (run with -race).
func TestBatchConnConcurrent(t *testing.T) {
	b, rs := udpPair(t, 1)
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				fan := w%2 == 0
				if fan {
					b.begin()
				}
				_, _ = b.WriteToAddrPort([]byte(fmt.Sprintf("w%d-%d", w, i)), addrOf(rs[0]))
				if fan {
					b.end()
				}
			}
		})
	}
	got := readAll(t, rs[0], writers*each)
	wg.Wait()
	seen := map[string]bool{}
	for _, g := range got {
		seen[g] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct datagrams of %d", len(seen), writers*each)
	}
}

// TestBatchConnAllocates: a fan-out allocates nothing once its batches
// exist.
func TestBatchConnAllocates(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own account")
	}
	b, rs := udpPair(t, 1)
	go func() {
		buf := make([]byte, 2000)
		for {
			// ReadFromUDPAddrPort: allocations are counted process-wide.
			if _, _, err := rs[0].ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	p, to := make([]byte, 1100), addrOf(rs[0])
	fan := func() {
		b.begin()
		for range 10 {
			_, _ = b.WriteToAddrPort(p, to)
		}
		b.end()
	}
	fan()
	if n := testing.AllocsPerRun(100, fan); n != 0 {
		t.Errorf("%v allocations a fan-out of 10, want 0", n)
	}
}
