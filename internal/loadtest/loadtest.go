// Package loadtest runs many participants against a roomsd from one
// process, publishing pre-encoded clips (one, or one per simulcast layer),
// and reports what they
// experienced (join latency, time to first frame, bitrate, loss) next to
// what the server spent (CPU per forwarded packet, memory per participant).
package loadtest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	rmedia "github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// Options say how much load to make.
type Options struct {
	Server string
	// Nodes, when set, are several servers sharing one database (or the
	// one address in front of them), used instead of Server: room r is
	// created on, and joined through, Nodes[r%len(Nodes)], and the
	// report has a part per node (Report.Nodes).
	Nodes []string
	// CreateToken is sent when creating rooms: a roomsd that listens
	// beyond loopback asks for it (roomsd --create-token).
	CreateToken string
	Rooms       int
	Publishers  int // per room, sending the clip
	Subscribers int // per room, receiving only
	Audio       bool
	Duration    time.Duration // of the measured steady state, after everyone joined
	Ramp        time.Duration // between two joins
	AllowRemote bool
	// Clips are what publishers send as video: one clip sends one
	// encoding; several are simulcast layers, in the order offered, each
	// with its RID (rmedia.EncodeSimulcastClips). Audio comes from the
	// first.
	Clips []rmedia.Clip
	// RoomID, when set, fills that room instead of creating rooms (to
	// put people around a real client, say).
	RoomID string
	// Tiles is how many videos each participant shows (the first to
	// arrive); the others it hides, and the server stops sending them, as
	// a terminal does with tiles on other pages. 0 shows every video.
	Tiles int
	// TileSize is the size, in pixels, each shown video is drawn at, sent
	// in the view so the server picks the simulcast layer that fits; the
	// zero Size sends none (the largest layer). TerminalTile gives what a
	// terminal draws for a layout.
	TileSize api.Size
	// Speakers is how many publishers per room send their audio marked as
	// speech (level -25 dBov); the others mark it as a quiet room (-90),
	// as in a real call where a few talk at once. The server forwards
	// only the loudest few voices.
	Speakers int
	// Transport, when set, makes every participant's media use one
	// transport: client.TransportUDP, client.TransportTCP (ICE over
	// TCP) or client.TransportRelay (through the server's TURN), to
	// measure what each costs.
	Transport string
}

// TerminalTile is the size of one tile's video when a 240x70 terminal
// (240x140 half-block pixels) shows tiles videos in a grid; 0 tiles: n.
func TerminalTile(tiles, n int) api.Size {
	if tiles <= 0 {
		tiles = max(n, 1)
	}
	cols := 1
	for cols*cols < tiles {
		cols++
	}
	rows := (tiles + cols - 1) / cols
	return api.Size{W: 240 / cols, H: 140 / rows}
}

// Layouts are the --video-layout names and the tiles each shows.
var Layouts = map[string]int{"speaker": 1, "3x3": 9, "4x4": 16, "5x5": 25, "7x7": 49, "all": 0}

// Bounds: a load test stays a test.
const (
	MaxParticipants = 500
	MaxDuration     = 10 * time.Minute
)

// Report is what a run measured.
type Report struct {
	Participants int            `json:"participants"`
	Joined       int            `json:"joined"`
	FailedJoins  map[string]int `json:"failed_joins"` // by error code
	JoinMS       Percentiles    `json:"join_ms"`
	FirstFrameMS Percentiles    `json:"first_frame_ms"` // join -> first video keyframe packet
	ReceiveKbps  float64        `json:"receive_kbps"`   // per receiving participant, mean
	PacketLoss   float64        `json:"packet_loss"`    // fraction, all tracks
	Jitter       float64        `json:"jitter_ms"`      // mean
	Freezes      int            `json:"freezes"`        // video tracks silent for a second or more
	Server       ServerCost     `json:"server"`         // of the one server; zero with several nodes: see Nodes
	Seconds      float64        `json:"seconds"`
	// ClipKbps is the video bitrate of each clip a publisher sends, as
	// encoded (by RID; "" for one layer): what the load states it sends.
	ClipKbps map[string]float64 `json:"clip_kbps,omitempty"`
	// Nodes is each node's part when Options.Nodes named several.
	Nodes []NodeReport `json:"nodes,omitempty"`
}

// NodeReport is what the participants of one node's rooms saw, and that
// node's cost.
type NodeReport struct {
	URL          string      `json:"url"`
	Rooms        int         `json:"rooms"`
	Joined       int         `json:"joined"`
	JoinMS       Percentiles `json:"join_ms"`
	FirstFrameMS Percentiles `json:"first_frame_ms"`
	ReceiveKbps  float64     `json:"receive_kbps"`
	PacketLoss   float64     `json:"packet_loss"`
	Freezes      int         `json:"freezes"`
	Server       ServerCost  `json:"server"`
}

// Percentiles of a set of samples.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func percentiles(v []float64) Percentiles {
	if len(v) == 0 {
		return Percentiles{}
	}
	sort.Float64s(v)
	at := func(q float64) float64 { return v[min(len(v)-1, int(q*float64(len(v)-1)+0.5))] }
	return Percentiles{N: len(v), P50: at(.5), P95: at(.95), P99: at(.99)}
}

// participant is one simulated person.
type participant struct {
	node     int // index of the server it joined through
	call     *client.Call
	joinedAt time.Time
	video    []*webrtc.TrackLocalStaticSample // one a layer, in the order of the clips
	audio    *webrtc.TrackLocalStaticSample

	tiles int      // videos shown; 0: all
	size  api.Size // the size each shown video is drawn at
	shown int      // videos shown so far
	// view is what it shows, sent (at most 4 times a second) when dirty;
	// the events goroutine's own.
	view  api.View
	dirty bool

	// keyframe, one a layer: a receiver asked that layer for one; its
	// clip restarts at its keyframe, as an encoder would send one.
	keyframe []atomic.Bool
	// off, one a layer: the server said nobody receives it; it is not
	// sent until named again, as an encoder would stop.
	off []atomic.Bool

	firstFrame atomic.Int64 // ns after join; 0 until then
	packets    atomic.Uint64
	bytes      atomic.Uint64
	freezes    atomic.Int64
}

// Run joins everyone, holds the load for o.Duration and reports.
// progress gets a line now and then.
func Run(ctx context.Context, o Options, progress func(string)) (Report, error) {
	total := o.Rooms * (o.Publishers + o.Subscribers)
	switch {
	case o.Rooms < 1 || o.Publishers < 0 || o.Subscribers < 0 || total < 1:
		return Report{}, errors.New("give at least one room and one participant")
	case total > MaxParticipants:
		return Report{}, fmt.Errorf("%d participants: at most %d", total, MaxParticipants)
	case o.Duration <= 0 || o.Duration > MaxDuration:
		return Report{}, fmt.Errorf("--duration must be between 1s and %s", MaxDuration)
	case o.Publishers > 0 && !clipsOK(o.Clips):
		return Report{}, errors.New("no clip to publish (simulcast layers each need frames and their own RID)")
	}
	servers := o.Nodes
	if len(servers) == 0 {
		servers = []string{o.Server}
	}
	if o.RoomID != "" && len(servers) > 1 {
		return Report{}, errors.New("--room fills one room: give one server, not several nodes")
	}
	clients := make([]*client.Client, len(servers))
	for i, s := range servers {
		c, err := client.New(s, client.WithCreateToken(o.CreateToken), client.WithUserAgent("rooms-loadtest"))
		if err != nil {
			return Report{}, err
		}
		if !o.AllowRemote && !isLoopback(c.Server()) {
			return Report{}, fmt.Errorf("%s is not on this machine: a load test goes to a remote server only with --allow-remote", c.Server())
		}
		// The server's cost is read from its /metrics once everyone is in
		// and at the end; a server that does not serve them is refused
		// now, before anyone joins, not after the whole run.
		if _, err := scrape(ctx, c.Server()); err != nil {
			return Report{}, fmt.Errorf("read the metrics of %s: %w", c.Server(), err)
		}
		clients[i] = c
	}
	var err error
	rep := Report{Participants: total, FailedJoins: map[string]int{}}
	if o.Publishers > 0 {
		rep.ClipKbps = map[string]float64{}
		for _, c := range o.Clips {
			rep.ClipKbps[c.RID] = c.Kbps()
		}
	}
	var (
		mu       sync.Mutex
		joinMS   []float64
		parts    []*participant
		wg       sync.WaitGroup
		stopSend = make(chan struct{})
	)
	defer func() {
		close(stopSend)
		for _, p := range parts {
			p.call.Close()
		}
		wg.Wait()
	}()
	for r := 0; r < o.Rooms; r++ {
		node := r % len(clients)
		c := clients[node]
		room := api.Room{ID: o.RoomID}
		if o.RoomID == "" {
			room, err = c.CreateRoom(ctx, api.CreateRoomRequest{Name: fmt.Sprintf("load %d", r+1), MaxParticipants: min(o.Publishers+o.Subscribers, 50)})
			if err != nil {
				return rep, fmt.Errorf("create a room: %w", err)
			}
		}
		for i := 0; i < o.Publishers+o.Subscribers; i++ {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			var clips []rmedia.Clip
			if i < o.Publishers {
				clips = o.Clips
			}
			p, err := join(ctx, c, room.ID, fmt.Sprintf("r%dp%d", r+1, i+1), clips, o.Audio, i < o.Speakers, o.Tiles, o.TileSize, o.Transport, &wg)
			if err != nil {
				var se *api.SignalError
				code := "error"
				if errors.As(err, &se) {
					code = string(se.Code)
				}
				rep.FailedJoins[code]++
				continue
			}
			p.node = node
			mu.Lock()
			parts = append(parts, p)
			joinMS = append(joinMS, float64(time.Since(p.joinedAt).Milliseconds()))
			mu.Unlock()
			if p.video != nil {
				wg.Add(1)
				go func() { defer wg.Done(); publish(p, o.Clips, o.Audio, stopSend) }()
			}
			progress(fmt.Sprintf("joined %d/%d", len(parts), total))
			select {
			case <-time.After(o.Ramp):
			case <-ctx.Done():
				return rep, ctx.Err()
			}
		}
	}
	rep.Joined = len(parts)
	rep.JoinMS = percentiles(slices.Clone(joinMS)) // sorts its copy: joinMS stays in the order of parts
	// Steady state: everyone in, measured for o.Duration.
	startPackets := map[*participant]uint64{}
	startBytes := map[*participant]uint64{}
	for _, p := range parts {
		startPackets[p], startBytes[p] = p.packets.Load(), p.bytes.Load()
	}
	mid := make([]serverMetrics, len(clients))
	for i, c := range clients {
		if mid[i], err = scrape(ctx, c.Server()); err != nil {
			return rep, err
		}
	}
	t0 := time.Now()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	deadline := time.After(o.Duration)
wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-deadline:
			break wait
		case <-tick.C:
			progress(fmt.Sprintf("%d in calls, %.0f s of %.0f", len(parts), time.Since(t0).Seconds(), o.Duration.Seconds()))
		}
	}
	rep.Seconds = time.Since(t0).Seconds()
	after := make([]serverMetrics, len(clients))
	for i, c := range clients {
		if after[i], err = scrape(context.Background(), c.Server()); err != nil {
			return rep, err
		}
	}
	if len(clients) == 1 {
		rep.Server = cost(mid[0], after[0], rep.Seconds, rep.Joined)
	} else {
		rep.Nodes = nodeReports(clients, parts, o.Rooms, joinMS, startBytes, rep.Seconds, mid, after)
	}

	var first []float64
	var kbps float64
	receivers := 0
	var lost, got uint64
	var jitter float64
	jitterN := 0
	for _, p := range parts {
		if ns := p.firstFrame.Load(); ns > 0 {
			first = append(first, float64(ns)/1e6)
		}
		b := p.bytes.Load() - startBytes[p]
		if b > 0 {
			kbps += float64(b) * 8 / rep.Seconds / 1000
			receivers++
		}
		st, _ := p.call.Stats()
		for _, s := range st {
			if s.PacketsLost > 0 {
				lost += uint64(s.PacketsLost)
			}
			got += uint64(s.PacketsReceived)
			jitter += s.Jitter * 1000
			jitterN++
		}
		rep.Freezes += int(p.freezes.Load())
	}
	rep.FirstFrameMS = percentiles(first)
	if receivers > 0 {
		rep.ReceiveKbps = kbps / float64(receivers)
	}
	if got+lost > 0 {
		rep.PacketLoss = float64(lost) / float64(got+lost)
	}
	if jitterN > 0 {
		rep.Jitter = jitter / float64(jitterN)
	}
	return rep, nil
}

func isLoopback(server string) bool {
	u, err := url.Parse(server)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// clipsOK: at least one clip, each with frames; several need distinct RIDs.
func clipsOK(clips []rmedia.Clip) bool {
	rids := map[string]bool{}
	for _, c := range clips {
		if len(c.Video) == 0 || c.FPS <= 0 || (len(clips) > 1 && (c.RID == "" || rids[c.RID])) {
			return false
		}
		rids[c.RID] = true
	}
	return len(clips) > 0
}

// join brings one participant in and counts what it receives; with clips
// it publishes them (see publisher).
func join(ctx context.Context, c *client.Client, roomID, name string, clips []rmedia.Clip, withAudio, speaker bool, tiles int, size api.Size, transport string, wg *sync.WaitGroup) (*participant, error) {
	_, key, _ := ed25519.GenerateKey(nil)
	p := &participant{tiles: tiles, size: size}
	opts := client.JoinOptions{Name: name, Key: key, MaxReconnects: -1, Transport: transport}
	if len(clips) > 0 {
		opts.Tracks = p.publisher(name, clips, withAudio, speaker)
	}
	p.joinedAt = time.Now()
	jctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	call, err := c.Join(jctx, roomID, opts)
	if err != nil {
		return nil, err
	}
	p.call = call
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			var ev client.Event
			select {
			case e, ok := <-call.Events():
				if !ok {
					return
				}
				ev = e
			case <-tick.C:
				if p.dirty && call.SetView(p.view) == nil {
					p.dirty = false
				}
				continue
			}
			if rt, ok := ev.(client.RemoteTrack); ok {
				shown := rt.Info.Kind == api.KindAudio || p.tiles == 0 || p.shown < p.tiles
				if rt.Info.Kind != api.KindAudio {
					p.dirty = true
					if shown {
						p.shown++
						if p.size != (api.Size{}) {
							if p.view.Sizes == nil {
								p.view.Sizes = map[string]api.Size{}
							}
							p.view.Sizes[rt.Info.ID] = p.size
						}
					} else {
						p.view.Hidden = append(p.view.Hidden, rt.Info.ID)
					}
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if shown {
						p.receive(rt)
					} else {
						drain(rt)
					}
				}()
			}
		}
	}()
	return p, nil
}

// receive reads a remote track, noting the first video keyframe and
// freezes (a second with no packet).
func (p *participant) receive(rt client.RemoteTrack) {
	video := rt.Track.Kind() == webrtc.RTPCodecTypeVideo
	last := time.Now()
	for {
		_ = rt.Track.SetReadDeadline(time.Now().Add(5 * time.Second))
		pkt, _, err := rt.Track.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		p.packets.Add(1)
		p.bytes.Add(uint64(len(pkt.Payload) + 12))
		if video {
			if now.Sub(last) >= time.Second {
				p.freezes.Add(1)
			}
			last = now
			if p.firstFrame.Load() == 0 && isKeyframeStart(pkt.Payload) {
				p.firstFrame.CompareAndSwap(0, int64(now.Sub(p.joinedAt)))
			}
		}
	}
}

// drain reads a hidden track until it ends: the server sends nothing on
// it, so there is nothing to count and no freeze to see.
func drain(rt client.RemoteTrack) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := rt.Track.Read(buf); err != nil {
			return
		}
	}
}

// publisher makes p's tracks: a video track with a layer per clip (RIDs
// from the clips) and, withAudio, an audio track marked as speech or as a
// quiet room.
func (p *participant) publisher(name string, clips []rmedia.Clip, withAudio, speaker bool) []client.LocalTrack {
	p.keyframe = make([]atomic.Bool, len(clips))
	p.off = make([]atomic.Bool, len(clips))
	rids := map[string]int{}
	for i, clip := range clips {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if len(clips) > 1 {
			opts = append(opts, webrtc.WithRTPStreamID(clip.RID))
			rids[clip.RID] = i
		}
		t, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", name, opts...)
		p.video = append(p.video, t)
	}
	video := client.LocalTrack{Track: p.video[0], Kind: api.KindVideo,
		OnLayerKeyframeRequest: func(rid string) { p.keyframe[rids[rid]].Store(true) },
		OnLayers: func(active []string) {
			for rid, i := range rids {
				on := slices.Contains(active, rid)
				if p.off[i].Swap(!on) && on {
					p.keyframe[i].Store(true) // an encoder restarts with one
				}
			}
		}}
	for _, t := range p.video[1:] {
		video.Layers = append(video.Layers, t)
	}
	tracks := []client.LocalTrack{video}
	if withAudio {
		p.audio, _ = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", name)
		level := uint8(90)
		if speaker {
			level = 25
		}
		tracks = append(tracks, client.LocalTrack{Track: p.audio, Kind: api.KindAudio, Level: func() uint8 { return level }})
	}
	return tracks
}

// publish loops the clips, each on its layer, at their frame rate until
// stop; a layer asked for a keyframe restarts its clip.
func publish(p *participant, clips []rmedia.Clip, withAudio bool, stop <-chan struct{}) {
	frame := time.Second / time.Duration(clips[0].FPS)
	vt := time.NewTicker(frame)
	defer vt.Stop()
	at := time.NewTicker(20 * time.Millisecond)
	defer at.Stop()
	vi, ai := make([]int, len(clips)), 0
	for {
		select {
		case <-stop:
			return
		case <-vt.C:
			for i, clip := range clips {
				if p.off[i].Load() {
					continue // its timestamps stop too: the server bridges them
				}
				if p.keyframe[i].Swap(false) {
					vi[i] = 0 // a clip's first frame is its keyframe
				}
				_ = p.video[i].WriteSample(media.Sample{Data: clip.Video[vi[i]%len(clip.Video)], Duration: frame})
				vi[i]++
			}
		case <-at.C:
			if withAudio && p.audio != nil && len(clips[0].Audio) > 0 {
				_ = p.audio.WriteSample(media.Sample{Data: clips[0].Audio[ai%len(clips[0].Audio)], Duration: 20 * time.Millisecond})
				ai++
			}
		}
	}
}

// isKeyframeStart says whether a VP8 RTP payload begins a keyframe: the
// first packet a viewer can start decoding from.
func isKeyframeStart(payload []byte) bool {
	var vp codecs.VP8Packet
	frame, err := vp.Unmarshal(payload)
	return err == nil && vp.S == 1 && vp.PID == 0 && len(frame) > 0 && frame[0]&0x01 == 0
}

// nodeReports splits what the participants saw by the node they joined
// through, next to each node's cost. joinMS is in the order of parts.
func nodeReports(clients []*client.Client, parts []*participant, rooms int, joinMS []float64,
	startBytes map[*participant]uint64, seconds float64, mid, after []serverMetrics) []NodeReport {
	out := make([]NodeReport, len(clients))
	for i, c := range clients {
		nr := NodeReport{URL: c.Server(), Rooms: rooms / len(clients)}
		if i < rooms%len(clients) {
			nr.Rooms++
		}
		var join, first []float64
		var kbps float64
		receivers := 0
		var lost, got uint64
		for j, p := range parts {
			if p.node != i {
				continue
			}
			nr.Joined++
			join = append(join, joinMS[j])
			if ns := p.firstFrame.Load(); ns > 0 {
				first = append(first, float64(ns)/1e6)
			}
			if b := p.bytes.Load() - startBytes[p]; b > 0 && seconds > 0 {
				kbps += float64(b) * 8 / seconds / 1000
				receivers++
			}
			st, _ := p.call.Stats()
			for _, s := range st {
				if s.PacketsLost > 0 {
					lost += uint64(s.PacketsLost)
				}
				got += uint64(s.PacketsReceived)
			}
			nr.Freezes += int(p.freezes.Load())
		}
		nr.JoinMS, nr.FirstFrameMS = percentiles(join), percentiles(first)
		if receivers > 0 {
			nr.ReceiveKbps = kbps / float64(receivers)
		}
		if got+lost > 0 {
			nr.PacketLoss = float64(lost) / float64(got+lost)
		}
		nr.Server = cost(mid[i], after[i], seconds, nr.Joined)
		out[i] = nr
	}
	return out
}
