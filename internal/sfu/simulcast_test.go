package sfu

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// simulcastAPI is clientAPI with the mid and rid extensions a simulcast
// publisher sends.
func simulcastAPI(tb testing.TB) *webrtc.API {
	return clientAPIWith(tb, func(m *webrtc.MediaEngine) error {
		for _, uri := range SimulcastExtensions {
			if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
				return err
			}
		}
		return nil
	})
}

// vp8Frame is a one-packet VP8 frame: a keyframe carries its size in its
// frame header, and the byte after the header says which layer sent it.
func vp8Frame(key bool, w, h int, layer byte) []byte {
	// Descriptor: S=1, partition 0; then a frame tag (bit 0 clear: key).
	p := []byte{0x10, 0x01, 0, 0, 0x9d, 0x01, 0x2a, byte(w), byte(w >> 8), byte(h), byte(h >> 8), layer}
	if key {
		p[1] = 0x00
	}
	return p
}

// vp8FrameIDs is vp8Frame with a descriptor carrying a 15-bit picture id
// and a TL0PICIDX, numbered per layer as separate encoders do.
func vp8FrameIDs(key bool, w, h int, layer byte, pid uint16, tl0 uint8) []byte {
	return append([]byte{0x90, 0xc0, 0x80 | byte(pid>>8), byte(pid), tl0}, vp8Frame(key, w, h, layer)[1:]...)
}

// simulcastPublisher sends three layers (q 160x120, h 320x240, f 640x480)
// of one-packet frames, a keyframe on start, every 2 s and on a PLI for
// that layer; stop(rid) ends one layer's packets.
type simulcastPublisher struct {
	tracks  map[string]*webrtc.TrackLocalStaticRTP
	key     [3]atomic.Bool
	stopped [3]atomic.Bool
	off     [3]bool // the sending goroutine's own: not sent now
	done    chan struct{}
	wg      sync.WaitGroup
	pc      *webrtc.PeerConnection // closed first: its RTCP readers end with it
	// pad makes each layer's packets this many bytes larger (a bitrate
	// like a real encoder's); set before it starts sending.
	pad [3]int
}

var testLayers = []struct {
	rid  string
	w, h int
}{{"q", 160, 120}, {"h", 320, 240}, {"f", 640, 480}}

func newSimulcastPublisher(t *testing.T, c *testClient) *simulcastPublisher {
	return newSimulcastPublisherWith(t, c, true)
}

// newSimulcastPublisherWith: keyframes false sends a keyframe only when
// asked (a PLI), never on start or by itself.
func newSimulcastPublisherWith(t *testing.T, c *testClient, keyframes bool) *simulcastPublisher {
	return newSimulcastPublisherPadded(t, c, keyframes, [3]int{})
}

// newSimulcastPublisherPadded: each layer's packets pad bytes larger.
func newSimulcastPublisherPadded(t *testing.T, c *testClient, keyframes bool, pad [3]int) *simulcastPublisher {
	sp := &simulcastPublisher{tracks: map[string]*webrtc.TrackLocalStaticRTP{}, done: make(chan struct{}), pc: c.pub, pad: pad}
	var sender *webrtc.RTPSender
	for i, l := range testLayers {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "cam", "pub", webrtc.WithRTPStreamID(l.rid))
		if err != nil {
			t.Fatal(err)
		}
		sp.tracks[l.rid] = tr
		if i == 0 {
			if sender, err = c.pub.AddTrack(tr); err != nil {
				t.Fatal(err)
			}
		} else if err := sender.AddEncoding(tr); err != nil {
			t.Fatal(err)
		}
		sp.key[i].Store(keyframes)
	}
	offer, err := c.pub.CreateOffer(nil)
	if err == nil {
		err = c.pub.SetLocalDescription(offer)
	}
	if err == nil {
		err = c.peer.HandleOffer(api.SDP{PC: api.PCPublish, SDP: c.pub.LocalDescription().SDP})
	}
	if err != nil {
		t.Fatal(err)
	}
	// pion does not stamp a layer's packets with the mid and rid
	// extensions the receiver sorts them by: the publisher does.
	var midID, ridID uint8
	for _, e := range sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case SimulcastExtensions[0]:
			midID = uint8(e.ID)
		case SimulcastExtensions[1]:
			ridID = uint8(e.ID)
		}
	}
	var mid string
	for _, tr := range c.pub.GetTransceivers() {
		if tr.Sender() == sender {
			mid = tr.Mid()
		}
	}
	if midID == 0 || ridID == 0 || mid == "" {
		t.Fatalf("mid/rid extensions not negotiated: ids %d/%d, mid %q", midID, ridID, mid)
	}
	for i, l := range testLayers {
		sp.wg.Add(1)
		go func() {
			defer sp.wg.Done()
			for {
				pkts, _, err := sender.ReadSimulcastRTCP(l.rid)
				if err != nil {
					return
				}
				for _, p := range pkts {
					if _, ok := p.(*rtcp.PictureLossIndication); ok {
						sp.key[i].Store(true)
					}
				}
			}
		}()
	}
	sp.wg.Add(1)
	go func() {
		defer sp.wg.Done()
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		var seq [3]uint16
		var ts uint32
		n := 0
		for {
			select {
			case <-sp.done:
				return
			case <-tick.C:
			}
			n++
			ts += 3000
			// Layers the router says nobody receives are not sent; one
			// sent again starts with a keyframe, as an encoder restarts.
			active := c.activeLayers()
			for i, l := range testLayers {
				if sp.stopped[i].Load() {
					continue
				}
				if active != nil && !slices.Contains(active, l.rid) {
					sp.off[i] = true
					continue
				}
				if sp.off[i] {
					sp.off[i] = false
					sp.key[i].Store(true)
				}
				key := sp.key[i].Swap(false) || (keyframes && n%60 == 0)
				seq[i]++
				// Each layer numbers and stamps its packets its own way, as
				// separate encoders do.
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq[i] + uint16(i)*10000,
					Timestamp: ts + uint32(i)*1_000_000, Marker: true},
					Payload: vp8FrameIDs(key, l.w, l.h, byte(i), uint16(i*5000+n)&0x7fff, uint8(i*50+n))}
				if sp.pad[i] > 0 {
					// Before the layer's marker, which stays last.
					last := len(pkt.Payload) - 1
					pkt.Payload = append(append(pkt.Payload[:last:last], make([]byte, sp.pad[i])...), pkt.Payload[last])
				}
				_ = pkt.Header.SetExtension(midID, []byte(mid))
				_ = pkt.Header.SetExtension(ridID, []byte(l.rid))
				_ = sp.tracks[l.rid].WriteRTP(pkt)
			}
		}
	}()
	t.Cleanup(sp.close)
	return sp
}

func (sp *simulcastPublisher) close() {
	select {
	case <-sp.done:
	default:
		close(sp.done)
	}
	_ = sp.pc.Close()
	sp.wg.Wait()
}

// received is what a subscriber got: the layer marker of each packet, in
// order, with the numbering it arrived with.
type received struct {
	mu     sync.Mutex
	layers []byte
	seqs   []uint16
	tss    []uint32
	pids   []uint16 // VP8 picture ids as received (0xffff: none)
	tl0s   []uint8
}

func (r *received) read(tr *webrtc.TrackRemote) {
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if len(pkt.Payload) < 12 {
			continue
		}
		d, ok := parseVP8IDs(pkt.Payload)
		r.mu.Lock()
		r.layers = append(r.layers, pkt.Payload[len(pkt.Payload)-1])
		r.seqs = append(r.seqs, pkt.SequenceNumber)
		r.tss = append(r.tss, pkt.Timestamp)
		if ok && d.pidLen == 2 && d.tl0At > 0 {
			r.pids = append(r.pids, d.pid(pkt.Payload))
			r.tl0s = append(r.tl0s, pkt.Payload[d.tl0At])
		} else {
			r.pids, r.tl0s = append(r.pids, 0xffff), append(r.tl0s, 0)
		}
		r.mu.Unlock()
	}
}

// waitLayer waits until the last 10 packets received all came from layer
// want, and returns where that run starts.
func (r *received) waitLayer(t *testing.T, what string, want byte) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		n := len(r.layers)
		ok := n >= 10
		for i := n - 10; ok && i < n; i++ {
			ok = r.layers[i] == want
		}
		start := n
		for start > 0 && r.layers[start-1] == want {
			start--
		}
		r.mu.Unlock()
		if ok {
			return start
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	tail := r.layers[max(0, len(r.layers)-20):]
	t.Fatalf("%s: never settled on layer %d; the last packets came from %v", what, want, tail)
	return 0
}

// TestSimulcastLayerFollowsTileSize: a subscriber that says nothing gets
// the largest layer; one that shows the track small gets the small layer,
// then the middle one; when the publisher stops its top layer, a
// subscriber on it moves down. Across every switch, what it receives is
// one stream: sequence numbers one apart, timestamps moving on.
func TestSimulcastLayerFollowsTileSize(t *testing.T) {
	s := newTestSFU(t)
	ev := recEvents{published: make(chan string, 16), unpublished: make(chan string, 16)}
	r := s.NewRouter("simulcast", ev)
	defer r.Close()
	pub := newTestClient(t, r, "pub", simulcastAPI(t))
	sub := newTestClient(t, r, "sub", clientAPI(t))
	sp := newSimulcastPublisher(t, pub)
	select {
	case <-ev.published:
	case <-time.After(20 * time.Second):
		t.Fatal("the simulcast track was never published")
	}
	fs := r.forwardersOf("pub")
	if len(fs) != 1 {
		t.Fatalf("%d tracks forwarded for three layers of one, want 1", len(fs))
	}
	trackID := fs[0].info.ID
	var got received
	var subTrack *webrtc.TrackRemote
	select {
	case subTrack = <-sub.tracks:
		go got.read(subTrack)
	case <-time.After(20 * time.Second):
		t.Fatal("the subscriber never got the track")
	}
	got.waitLayer(t, "no size said", 2)

	steps := []struct {
		what string
		size api.Size
		want byte
	}{
		{"a terminal tile 80x60", api.Size{W: 80, H: 60}, 0},
		{"a tile 300x220", api.Size{W: 300, H: 220}, 1},
		{"the spotlight 1280x720", api.Size{W: 1280, H: 720}, 2},
		{"a tile 160x120", api.Size{W: 160, H: 120}, 0},
	}
	for _, st := range steps {
		sub.peer.SetView(nil, map[string]api.Size{trackID: st.size})
		got.waitLayer(t, st.what, st.want)
	}
	// Nobody needs the two larger layers: after a while the publisher is
	// told to stop them; a large tile brings the top one back.
	sub.peer.SetView(nil, map[string]api.Size{trackID: {W: 100, H: 80}})
	got.waitLayer(t, "a tile 100x80", 0)
	waitActive(t, pub, "q")
	sub.peer.SetView(nil, nil)
	got.waitLayer(t, "size taken back", 2)
	waitActive(t, pub, "q", "f")
	// A subscriber whose bandwidth grant (its allocator's, bandwidth.go;
	// here posted as the allocator would) caps it below the layer it gets.
	// On loopback its own allocator grants everything, and says so only
	// when that changes: the cap stays.
	fs[0].post(policyEvent{kind: evBudget, ssrc: uint32(subTrack.SSRC()), area: 320 * 240})
	got.waitLayer(t, "granted the middle layer's area", 1)
	sp.stopped[1].Store(true)
	got.waitLayer(t, "capped, and the middle layer stopped", 0)
	sp.stopped[1].Store(false)
	got.waitLayer(t, "the middle layer back", 1)
	sp.stopped[2].Store(true)
	got.waitLayer(t, "the top layer stopped", 1)

	got.mu.Lock()
	defer got.mu.Unlock()
	switches := 0
	for i := 1; i < len(got.seqs); i++ {
		if got.layers[i] != got.layers[i-1] {
			switches++
		}
		if d := got.seqs[i] - got.seqs[i-1]; d != 1 {
			t.Errorf("packet %d (layer %d after %d): sequence number %d after %d, want one more",
				i, got.layers[i], got.layers[i-1], got.seqs[i], got.seqs[i-1])
		}
		if !newer32(got.tss[i], got.tss[i-1]) {
			t.Errorf("packet %d (layer %d after %d): timestamp %d after %d does not move on",
				i, got.layers[i], got.layers[i-1], got.tss[i], got.tss[i-1])
		}
		// A packet is a frame here: picture ids and TL0PICIDX count on
		// by one across switches, in 15 bits.
		if got.pids[i] != (got.pids[i-1]+1)&0x7fff || got.tl0s[i] != got.tl0s[i-1]+1 {
			t.Errorf("packet %d (layer %d after %d): picture id %d, TL0PICIDX %d after %d, %d: want one more each",
				i, got.layers[i], got.layers[i-1], got.pids[i], got.tl0s[i], got.pids[i-1], got.tl0s[i-1])
		}
	}
	if switches < 6 {
		t.Errorf("%d layer switches seen, want at least 6", switches)
	}
}

// waitActive waits until the router has told the publisher that exactly
// these layers are received.
func waitActive(t *testing.T, c *testClient, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Equal(c.activeLayers(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the publisher was told %v are received, want %v", c.activeLayers(), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// simulcastCall is a router with a simulcast publisher and one
// subscriber receiving its track.
func simulcastCall(t *testing.T, keyframes bool) (*SFU, *testClient, *testClient, *simulcastPublisher, *received) {
	s := newTestSFU(t)
	ev := recEvents{published: make(chan string, 16), unpublished: make(chan string, 16)}
	r := s.NewRouter("simulcast", ev)
	t.Cleanup(r.Close)
	pub := newTestClient(t, r, "pub", simulcastAPI(t))
	sub := newTestClient(t, r, "sub", clientAPI(t))
	sp := newSimulcastPublisherWith(t, pub, keyframes)
	got := &received{}
	select {
	case tr := <-sub.tracks:
		go got.read(tr)
	case <-time.After(20 * time.Second):
		t.Fatal("the subscriber never got the track")
	}
	return s, pub, sub, sp, got
}

// TestSimulcastAsksForTheFirstKeyframe: a publisher whose first keyframes
// never arrived (sent before the connection was up) and that makes none
// of its own is asked for them, so the picture starts and the largest
// layer is known.
func TestSimulcastAsksForTheFirstKeyframe(t *testing.T) {
	_, _, _, _, got := simulcastCall(t, false)
	got.waitLayer(t, "no keyframe sent unasked", 2)
}

// TestSimulcastLayerStoppedByThePublisher: a layer its publisher stops of
// its own accord (no uplink) moves its subscribers down and stays out: it
// is not resumed, to nothing, over and over.
func TestSimulcastLayerStoppedByThePublisher(t *testing.T) {
	_, pub, _, sp, got := simulcastCall(t, true)
	got.waitLayer(t, "no size said", 2)
	sp.stopped[2].Store(true)
	got.waitLayer(t, "the top layer stopped", 1)
	time.Sleep(suspendAfter + layerStale) // the stopped layer is suspended meanwhile
	before := pub.layersMessages()
	time.Sleep(2 * suspendAfter) // a resume-and-stale cycle took about 5.5 s
	if n := pub.layersMessages() - before; n > 0 {
		t.Errorf("%d layers messages in %v after the layer stopped: it flaps (last: %v)", n, 2*suspendAfter, pub.activeLayers())
	}
	got.waitLayer(t, "still the middle layer", 1)
}

func TestVP8Keyframe(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		key     bool
		w, h    int32
	}{
		{"keyframe", vp8Frame(true, 640, 480, 0), true, 640, 480},
		{"interframe", vp8Frame(false, 640, 480, 0), false, 0, 0},
		{"not a partition start", append([]byte{0x00}, vp8Frame(true, 640, 480, 0)[1:]...), false, 0, 0},
		{"15-bit picture id", append([]byte{0x90, 0x80, 0x81, 0x23}, vp8Frame(true, 1280, 720, 0)[1:]...), true, 1280, 720},
		{"7-bit picture id, TL0PICIDX, TID", append([]byte{0x90, 0xe0, 0x12, 0x05, 0x40}, vp8Frame(true, 320, 180, 0)[1:]...), true, 320, 180},
		{"cut short", []byte{0x90, 0x80}, false, 0, 0},
		{"empty", nil, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, w, h := vp8Keyframe(tc.payload)
			if key != tc.key || w != tc.w || h != tc.h {
				t.Errorf("vp8Keyframe = %v %dx%d, want %v %dx%d", key, w, h, tc.key, tc.w, tc.h)
			}
		})
	}
}
