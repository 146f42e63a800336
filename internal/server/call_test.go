package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// testServer starts a whole roomsd in-process on loopback.
func testServer(t *testing.T) (*client.Client, func()) {
	t.Helper()
	return testServerWith(t, nil)
}

// testServerWith is testServer with settings changed by set.
func testServerWith(t *testing.T, set func(*Config)) (*client.Client, func()) {
	t.Helper()
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	if set != nil {
		set(&cfg)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("ROOMS_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return testServerConfig(t, cfg, log)
}

// testServerConfig starts a roomsd with cfg that logs to log.
func testServerConfig(t *testing.T, cfg Config, log *slog.Logger) (*client.Client, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, cfg, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	c, err := client.New("http://" + srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	return c, stop
}

// peer is a participant with a fake VP8 track: the SFU never decodes, so
// marked payloads are enough to see what arrives from whom.
type peer struct {
	name  string
	key   ed25519.PrivateKey
	call  *client.Call
	track *webrtc.TrackLocalStaticSample
	stop  chan struct{}
	// frames gets the first payload byte seen per remote participant.
	frames chan [2]string
	events chan client.Event
}

func newKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func join(t *testing.T, c *client.Client, roomID, name, hostKey string, key ed25519.PrivateKey) (*peer, error) {
	t.Helper()
	return joinWith(t, c, roomID, name, client.JoinOptions{HostKey: hostKey, Key: key})
}

func joinWith(t *testing.T, c *client.Client, roomID, name string, opts client.JoinOptions) (*peer, error) {
	t.Helper()
	key := opts.Key
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "cam-"+name, "stream-"+name)
	if err != nil {
		t.Fatal(err)
	}
	if key == nil {
		key = newKey(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts.Name, opts.Key, opts.MaxReconnects = name, key, 3
	opts.Tracks = append([]client.LocalTrack{{Track: track, Kind: api.KindVideo}}, opts.Tracks...)
	call, err := c.Join(ctx, roomID, opts)
	if err != nil {
		return nil, err
	}
	p := &peer{name: name, key: key, call: call, track: track, stop: make(chan struct{}),
		frames: make(chan [2]string, 64), events: make(chan client.Event, 256)}
	go p.publish()
	go p.consume()
	t.Cleanup(func() { p.close() })
	return p, nil
}

// publish sends a marked "frame" every 33 ms.
func (p *peer) publish() {
	tick := time.NewTicker(33 * time.Millisecond)
	defer tick.Stop()
	payload := append([]byte(p.name+"|"), bytes.Repeat([]byte{0x42}, 200)...)
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
			_ = p.track.WriteSample(media.Sample{Data: payload, Duration: 33 * time.Millisecond})
		}
	}
}

func (p *peer) consume() {
	for ev := range p.call.Events() {
		if rt, ok := ev.(client.RemoteTrack); ok {
			go func() {
				sent := false
				for {
					pkt, _, err := rt.Track.ReadRTP()
					if err != nil {
						return
					}
					// The name sits after the VP8 payload descriptor, before
					// "|" (the descriptor's picture id may be any byte, a
					// letter too: parse it, never guess).
					var vp8 codecs.VP8Packet
					body, err := vp8.Unmarshal(pkt.Payload)
					if err != nil || vp8.S != 1 || vp8.PID != 0 {
						continue
					}
					if i := bytes.IndexByte(body, '|'); !sent && i > 0 {
						name := body[:i]
						select {
						case p.frames <- [2]string{rt.Info.ParticipantID, string(name)}:
						default:
						}
						sent = true
					}
				}
			}()
		}
		select {
		case p.events <- ev:
		default:
		}
	}
	close(p.events)
}

// drain forgets frames seen so far.
func (p *peer) drain() {
	for {
		select {
		case <-p.frames:
		default:
			return
		}
	}
}

func (p *peer) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	p.call.Close()
}

// waitFrames waits until p has received media from every name in want.
func (p *peer) waitFrames(t *testing.T, want ...string) {
	t.Helper()
	got := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for !allSeen(got, want) {
		select {
		case f := <-p.frames:
			got[f[1]] = true
		case <-deadline:
			t.Fatalf("%s received media from %v, want all of %v", p.name, got, want)
		}
	}
}

func allSeen(got map[string]bool, want []string) bool {
	for _, w := range want {
		if !got[w] {
			return false
		}
	}
	return true
}

// waitEvent waits for an event that match accepts.
func (p *peer) waitEvent(t *testing.T, what string, match func(client.Event) bool) client.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				t.Fatalf("%s: events ended before %s", p.name, what)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("%s: no %s in 30 s", p.name, what)
		}
	}
}

func signalCode(err error) api.Code {
	var se *api.SignalError
	if errors.As(err, &se) {
		return se.Code
	}
	return ""
}

func TestCallForwardsAndHostControls(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	ctx := context.Background()
	r, err := c.CreateRoom(ctx, api.CreateRoomRequest{MaxParticipants: 4})
	if err != nil {
		t.Fatal(err)
	}
	host, err := join(t, c, r.ID, "host", r.HostKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := join(t, c, r.ID, "ann", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	bo, err := join(t, c, r.ID, "bo", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	host.waitFrames(t, "ann", "bo")
	ann.waitFrames(t, "host", "bo")
	bo.waitFrames(t, "host", "ann")

	who, _ := c.GetRoom(ctx, r.ID)
	if who.Participants != 3 {
		t.Errorf("room shows %d participants, want 3", who.Participants)
	}

	// Lock from the CLI side: everyone in the call hears of it; a newcomer is refused.
	locked := true
	if _, err := c.UpdateRoom(ctx, r.ID, r.HostKey, api.UpdateRoomRequest{Locked: &locked}); err != nil {
		t.Fatal(err)
	}
	ann.waitEvent(t, "room_updated locked", func(ev client.Event) bool {
		u, ok := ev.(client.RoomUpdated)
		return ok && u.Locked
	})
	if _, err := join(t, c, r.ID, "late", "", nil); signalCode(err) != api.CodeRoomLocked {
		t.Fatalf("joining a locked room: %v, want room_locked", err)
	}

	// The host removes bo: bo is told, the others see bo leave, bo's key is banned.
	if err := host.call.Host("remove", bo.call.Me().ID); err != nil {
		t.Fatal(err)
	}
	bo.waitEvent(t, "removed", func(ev client.Event) bool { _, ok := ev.(client.Removed); return ok })
	bo.waitEvent(t, "closed", func(ev client.Event) bool {
		cl, ok := ev.(client.Closed)
		return ok && errors.Is(cl.Err, client.ErrRemoved)
	})
	ann.waitEvent(t, "bo left", func(ev client.Event) bool {
		l, ok := ev.(client.ParticipantLeft)
		return ok && l.Reason == "removed"
	})
	unlocked := false
	if _, err := c.UpdateRoom(ctx, r.ID, r.HostKey, api.UpdateRoomRequest{Locked: &unlocked}); err != nil {
		t.Fatal(err)
	}
	if _, err := join(t, c, r.ID, "bo-again", "", bo.key); signalCode(err) != api.CodeBanned {
		t.Fatalf("a removed key rejoining: %v, want banned", err)
	}

	// A guest cannot do host things.
	if err := ann.call.Host("lock", ""); err != nil {
		t.Fatal(err)
	}
	ann.waitEvent(t, "forbidden", func(ev client.Event) bool {
		e, ok := ev.(client.ServerError)
		return ok && e.Code == api.CodeForbidden
	})

	// The host leaves; ann keeps receiving from a newcomer.
	if err := host.call.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	cy, err := join(t, c, r.ID, "cy", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann.waitFrames(t, "cy")
	cy.waitFrames(t, "ann")

	// The host comes back with the key and ends the room for everyone.
	host2, err := join(t, c, r.ID, "host", r.HostKey, host.key)
	if err != nil {
		t.Fatal(err)
	}
	if !host2.call.Me().Host {
		t.Fatal("the host came back without host rights")
	}
	if err := host2.call.Host("end", ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{ann, cy, host2} {
		p.waitEvent(t, "ended", func(ev client.Event) bool { _, ok := ev.(client.Ended); return ok })
	}
	if _, err := join(t, c, r.ID, "after", "", nil); signalCode(err) != api.CodeRoomEnded {
		t.Fatalf("joining an ended room: %v, want room_ended", err)
	}
}

func TestCallCapacity(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{MaxParticipants: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := join(t, c, r.ID, n, "", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := join(t, c, r.ID, "c", "", nil); signalCode(err) != api.CodeRoomFull {
		t.Fatalf("third in a room of 2: %v, want room_full", err)
	}
	if _, err := join(t, c, "aaaaaaaaaaaaaaaaaaaaaaaaaa", "x", "", nil); err == nil {
		t.Fatal("joined a room that does not exist")
	}
}

// cutter dials TCP and can cut every connection it made, as a network
// drop would.
type cutter struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (c *cutter) client() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			c.mu.Lock()
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
		}
		return conn, err
	}}}
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

func TestCallReconnectsAfterADrop(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := join(t, c, r.ID, "ann", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	cut := &cutter{}
	bo, err := joinWith(t, c, r.ID, "bo", client.JoinOptions{HTTPClient: cut.client()})
	if err != nil {
		t.Fatal(err)
	}
	bo.waitFrames(t, "ann")
	ann.waitFrames(t, "bo")
	id := bo.call.Me().ID

	cut.cut()
	bo.waitEvent(t, "reconnecting", func(ev client.Event) bool { _, ok := ev.(client.Reconnecting); return ok })
	bo.waitEvent(t, "joined again", func(ev client.Event) bool { _, ok := ev.(client.Joined); return ok })
	if got := bo.call.Me().ID; got != id {
		t.Errorf("after reconnecting bo is %s, want the same participant %s", got, id)
	}
	bo.drain()
	ann.drain()
	bo.waitFrames(t, "ann")
	ann.waitFrames(t, "bo")
	if ps, err := c.Participants(context.Background(), r.ID); err != nil || len(ps) != 2 {
		n := len(ps)
		t.Errorf("%d participants after the reconnect, want 2", n)
	}
}

func TestSpeakingFromAudioLevels(t *testing.T) {
	c, stop := testServer(t)
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	listener, err := join(t, c, r.ID, "listener", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	audio, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "speaker")
	if err != nil {
		t.Fatal(err)
	}
	var level atomic.Uint32
	level.Store(20) // talking
	speaker, err := joinWith(t, c, r.ID, "speaker", client.JoinOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = speaker
	talker, err := joinWith(t, c, r.ID, "talker", client.JoinOptions{Tracks: []client.LocalTrack{{Track: audio, Kind: api.KindAudio, Level: func() uint8 { return uint8(level.Load()) }}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		silence := []byte{0xf8, 0xff, 0xfe} // an Opus silence frame
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = audio.WriteSample(media.Sample{Data: silence, Duration: 20 * time.Millisecond})
			}
		}
	}()
	id := talker.call.Me().ID
	listener.waitEvent(t, "talker speaking", func(ev client.Event) bool {
		s, ok := ev.(client.Speaking)
		return ok && s.ParticipantID == id && s.Speaking && s.Active
	})
	level.Store(127) // quiet
	listener.waitEvent(t, "talker quiet", func(ev client.Event) bool {
		s, ok := ev.(client.Speaking)
		return ok && s.ParticipantID == id && !s.Speaking
	})
}
