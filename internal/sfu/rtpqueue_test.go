package sfu

import (
	"errors"
	"io"
	"testing"

	"github.com/pion/transport/v5/packetio"
)

// TestRTPQueue: packets come out in order and whole, a full queue drops
// (packetio.ErrFull), a closed one ends reads with io.EOF, and a steady
// stream allocates nothing.
func TestRTPQueue(t *testing.T) {
	q := newRTPQueue()
	pkt := make([]byte, 1200)
	buf := make([]byte, 1500)
	for i := range rtpQueueMax {
		pkt[0] = byte(i)
		if _, err := q.Write(pkt); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if _, err := q.Write(pkt); !errors.Is(err, packetio.ErrFull) {
		t.Fatalf("write past %d packets: %v, want packetio.ErrFull", rtpQueueMax, err)
	}
	for i := range rtpQueueMax {
		n, err := q.Read(buf)
		if err != nil || n != len(pkt) || buf[0] != byte(i) {
			t.Fatalf("read %d: %d bytes, first %d, %v", i, n, buf[0], err)
		}
	}
	voice := pkt[:120]
	if allocs := testing.AllocsPerRun(1000, func() {
		_, _ = q.Write(pkt)
		_, _ = q.Write(voice)
		_, _ = q.Read(buf)
		_, _ = q.Read(buf)
	}); allocs != 0 {
		t.Errorf("%.1f allocations a packet, want 0", allocs)
	}
	voice[0] = 0xaa
	if _, err := q.Write(voice); err != nil {
		t.Fatal(err)
	}
	if n, err := q.Read(buf); err != nil || n != len(voice) || buf[0] != 0xaa {
		t.Fatalf("a voice packet came back as %d bytes, first %x, %v", n, buf[0], err)
	}
	if _, err := q.Write(pkt); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Read(make([]byte, 10)); !errors.Is(err, io.ErrShortBuffer) {
		t.Errorf("read into a short buffer: %v, want io.ErrShortBuffer", err)
	}
	done := make(chan error)
	go func() {
		_, err := q.Read(buf)
		done <- err
	}()
	q.Close()
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Errorf("read on a closed queue: %v, want io.EOF", err)
	}
	if _, err := q.Write(pkt); err == nil {
		t.Error("write on a closed queue succeeded")
	}
}

// TestRTPQueueLetsABurstGo: once a burst is read, the queue holds
// nothing of it (pion's buffer keeps the largest burst's size for the
// stream's life).
func TestRTPQueueLetsABurstGo(t *testing.T) {
	q := newRTPQueue()
	pkt := make([]byte, 1200)
	buf := make([]byte, 1500)
	before := liveHeap()
	for range 500 {
		if _, err := q.Write(pkt); err != nil {
			t.Fatal(err)
		}
	}
	for range 500 {
		if _, err := q.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	liveHeap() // the pool's buffers go in two collections
	if grown := liveHeap() - before; grown > 100<<10 {
		t.Errorf("a queue that took and gave a burst of 500 packets still holds %d KB, want under 100", grown>>10)
	}
	_ = q.Close()
}
