package sfu

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// narrowLink is a UDP relay between one client and the SFU whose
// downlink (SFU to client) carries at most bps bits a second, with a
// queue of queueFor's worth before it drops (as a tbf qdisc does); 0: no
// limit. Its goroutines end when it is closed.
type narrowLink struct {
	front, back *net.UDPConn
	server      *net.UDPAddr
	client      atomic.Pointer[net.UDPAddr]
	bps         atomic.Int64
	queue       chan []byte
	queued      atomic.Int64 // bytes in queue
	done        chan struct{}
	wg          sync.WaitGroup
}

const queueFor = 200 * time.Millisecond

func newNarrowLink(t *testing.T, serverPort int) *narrowLink {
	l := &narrowLink{server: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: serverPort},
		queue: make(chan []byte, 4096), done: make(chan struct{})}
	var err error
	if l.front, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if l.back, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	l.wg.Add(3)
	go l.up()
	go l.down()
	go l.drain()
	t.Cleanup(l.close)
	return l
}

func (l *narrowLink) port() int { return l.front.LocalAddr().(*net.UDPAddr).Port }

func (l *narrowLink) close() {
	close(l.done)
	l.front.Close()
	l.back.Close()
	l.wg.Wait()
}

// up relays the client's packets to the server, unlimited.
func (l *narrowLink) up() {
	defer l.wg.Done()
	buf := make([]byte, 1600)
	for {
		n, from, err := l.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		l.client.Store(from)
		_, _ = l.back.WriteToUDP(buf[:n], l.server)
	}
}

// down queues the server's packets for the client, dropping what would
// wait longer than queueFor at the link's rate.
func (l *narrowLink) down() {
	defer l.wg.Done()
	buf := make([]byte, 1600)
	for {
		n, _, err := l.back.ReadFromUDP(buf)
		if err != nil {
			return
		}
		bps := l.bps.Load()
		if bps > 0 && l.queued.Load()+int64(n) > bps*int64(queueFor)/int64(time.Second)/8 {
			continue // the queue is full: tail drop
		}
		p := append([]byte(nil), buf[:n]...)
		select {
		case l.queue <- p:
			l.queued.Add(int64(n))
		default:
		}
	}
}

// drain sends the queue on to the client at the link's rate.
func (l *narrowLink) drain() {
	defer l.wg.Done()
	next := time.Now()
	for {
		var p []byte
		select {
		case <-l.done:
			return
		case p = <-l.queue:
		}
		l.queued.Add(-int64(len(p)))
		if bps := l.bps.Load(); bps > 0 {
			now := time.Now()
			if next.Before(now) {
				next = now
			}
			// UDP and IP headers go over the link too.
			next = next.Add(time.Duration(int64(len(p)+28) * 8 * int64(time.Second) / bps))
			select {
			case <-l.done:
				return
			case <-time.After(time.Until(next)):
			}
		}
		if c := l.client.Load(); c != nil {
			_, _ = l.front.WriteToUDP(p, c)
		}
	}
}

// TestNarrowSubscriberLink: a subscriber whose downlink narrows is given
// smaller layers (its own estimate, from its transport-cc feedback), then
// paused and told so when even the smallest does not fit, and brought
// back to the top layer when the link widens again (the estimate probed
// upwards). Real pion peers; the link is a rate-limiting relay.
func TestNarrowSubscriberLink(t *testing.T) {
	s := newTestSFU(t)
	r := s.NewRouter("narrow", nopEvents{})
	defer r.Close()
	link := newNarrowLink(t, s.UDPPort())
	from, to := fmt.Sprintf(" %d typ", s.UDPPort()), fmt.Sprintf(" %d typ", link.port())
	pub := newTestClient(t, r, "pub", simulcastAPI(t))
	// About 60, 140 and 280 kbit/s at 30 frames a second.
	newSimulcastPublisherPadded(t, pub, true, [3]int{230, 560, 1150})
	sub := newTestClientWith(t, r, "sub", simulcastAPI(t), func(c *testClient) {
		c.subRewrite = func(s string) string { return strings.ReplaceAll(s, from, to) }
	})
	var got received
	select {
	case tr := <-sub.tracks:
		go got.read(tr)
	case <-time.After(20 * time.Second):
		t.Fatal("the subscriber never got the track")
	}
	got.waitLayer(t, "an open link", 2)
	if sub.peer.bwe == nil {
		t.Fatal("the subscribe connection has no estimator")
	}

	link.bps.Store(200_000)
	got.waitLayers(t, "a 200 kbit/s link", 0, 1)
	if s.BandwidthLimits() == 0 {
		t.Error("the tile brought down was not counted")
	}
	if est := sub.peer.bwe.Estimate(); est <= 0 || est > 400_000 {
		t.Errorf("estimate %d bit/s on a 200 kbit/s link", est)
	}

	link.bps.Store(30_000)
	trackID := r.allForwarders()[0].info.ID
	waitBandwidth(t, sub, "a 30 kbit/s link", []string{trackID})

	link.bps.Store(0)
	waitBandwidth(t, sub, "the link open again", []string{})
	got.waitLayer(t, "the link open again, after probing", 2)
}

// waitLayers waits until the last 10 packets received all came from one
// of the layers in want.
func (r *received) waitLayers(t *testing.T, what string, want ...byte) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		n := len(r.layers)
		ok := n >= 10
		for i := n - 10; ok && i < n; i++ {
			ok = slices.Contains(want, r.layers[i])
		}
		r.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("%s: the last packets did not come from layers %v (last: %v)", what, want, r.layers[max(len(r.layers)-20, 0):])
}

// waitBandwidth waits for a bandwidth message naming paused as the
// tracks paused.
func waitBandwidth(t *testing.T, c *testClient, what string, paused []string) api.Bandwidth {
	t.Helper()
	deadline := time.After(40 * time.Second)
	var last api.Bandwidth
	for {
		select {
		case b := <-c.bandwidth:
			last = b
			if slices.Equal(b.Paused, paused) {
				return b
			}
		case <-deadline:
			t.Fatalf("%s: no bandwidth message pausing %v (last: %+v)", what, paused, last)
		}
	}
}
