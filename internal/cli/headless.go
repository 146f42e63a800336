package cli

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image/color"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// statsEvery is how often headless join reports reception.
const statsEvery = 5 * time.Second

// headless runs a call without a UI, reporting events as lines.
type headless struct {
	f        *Factory
	server   string
	roomID   string
	joinedAt time.Time
	noDecode bool
	screen   media.LocalTrack // shared from the start, if any

	outMu sync.Mutex
	mu    sync.Mutex
	names map[string]string // participant id → name
	recv  map[string]*remote
	wg    sync.WaitGroup
	// sent is the publish connection's byte count at the last stats line.
	sent uint64
}

// remote is one remote track being decoded.
type remote struct {
	info    api.Track
	track   *webrtc.TrackRemote
	arrived time.Time
	frames  atomic.Uint64
	bytes   uint64 // at the last stats line
	// width and height of the newest video frame decoded; lastAt (unix
	// ns) when the newest frame came, maxGap the longest wait between
	// two since the last stats line, and freezes the waits of
	// freezeVideo (video) or freezeAudio (audio) or more since joining.
	width, height  atomic.Int32
	lastAt, maxGap atomic.Int64
	freezes        atomic.Uint64
	// paused: the server said it holds the track back for our bandwidth
	// (a bandwidth event). The wait across a pause is no freeze: the
	// call screen shows the tile as paused, not frozen.
	paused atomic.Bool
}

// setPaused notes whether the server holds the track back for our
// bandwidth; on its return the next frame starts afresh.
func (r *remote) setPaused(p bool) {
	if !r.paused.Swap(p) || p {
		return
	}
	r.lastAt.Store(0)
}

// A wait between two frames that counts as a freeze: for video, about
// what a viewer notices; for audio, a gap loss concealment cannot cover.
const (
	freezeVideo = 500 * time.Millisecond
	freezeAudio = 200 * time.Millisecond
)

// frame notes a frame decoded at now and returns the wait since the one
// before (0 for the first).
func (r *remote) frame(freezeAt time.Duration, now time.Time) time.Duration {
	r.frames.Add(1)
	last := r.lastAt.Swap(now.UnixNano())
	if last == 0 {
		return 0
	}
	gap := now.UnixNano() - last
	if gap > r.maxGap.Load() {
		r.maxGap.Store(gap)
	}
	if gap >= int64(freezeAt) {
		r.freezes.Add(1)
	}
	return time.Duration(gap)
}

func newHeadless(f *Factory, server, roomID string) *headless {
	return &headless{f: f, server: server, roomID: roomID, names: map[string]string{}, recv: map[string]*remote{}}
}

// out writes one event: a JSON object with --json, else a readable line.
func (h *headless) out(typ string, fields map[string]any) {
	h.outMu.Lock()
	defer h.outMu.Unlock()
	fields["type"] = typ
	if _, ok := fields["at"]; !ok {
		fields["at"] = time.Now().UTC().Format(time.RFC3339Nano)
	}
	if h.f.json {
		_ = h.f.printJSONLine(fields)
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k != "type" && k != "at" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := []string{time.Now().Format("15:04:05"), typ}
	for _, k := range keys {
		v := fmt.Sprint(fields[k])
		if strings.ContainsAny(v, " \"") || safetext.Check(v) != nil {
			// Text from others never reaches the terminal raw: quoted,
			// with what safetext would drop as \u escapes.
			v = safetext.Line(strconv.Quote(v))
		}
		parts = append(parts, k+"="+v)
	}
	fmt.Fprintln(h.f.IO.Out, strings.Join(parts, " "))
}

// join enters the call, waiting for a booked room to open when asked.
func (h *headless) join(ctx context.Context, c *client.Client, opts client.JoinOptions, wait bool) (*client.Call, error) {
	for {
		call, err := c.Join(ctx, h.roomID, opts)
		var se *api.SignalError
		if err == nil || !wait || !errors.As(err, &se) || se.Code != api.CodeNotOpenYet || se.OpensAt == nil {
			if err != nil {
				return nil, joinError(h.server, err)
			}
			return call, nil
		}
		d := time.Until(*se.OpensAt) + 500*time.Millisecond
		h.out("waiting", map[string]any{"opens_at": se.OpensAt.UTC().Format(time.RFC3339), "in_s": int(d.Seconds())})
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// run reports the call's events until it ends, the duration runs out or
// the user interrupts.
func (h *headless) run(ctx context.Context, call *client.Call) error {
	h.joinedAt = time.Now()
	tick := time.NewTicker(statsEvery)
	defer tick.Stop()
	decodeCtx, stopDecoders := context.WithCancel(context.Background())
	defer func() {
		stopDecoders()
		h.wg.Wait()
	}()
	var final error
	for {
		select {
		case <-ctx.Done():
			_ = call.Leave(context.Background())
			h.out("left", map[string]any{})
			// Drain to the Closed event so no goroutine is left behind.
			for range call.Events() {
			}
			return nil
		case <-tick.C:
			h.stats(call)
		case ev, ok := <-call.Events():
			if !ok {
				return final
			}
			if err := h.event(decodeCtx, call, ev); err != nil {
				final = err
			}
		}
	}
}

// event reports one event; it returns the error the command should end
// with when the call is over for us.
func (h *headless) event(ctx context.Context, call *client.Call, ev client.Event) error {
	switch e := ev.(type) {
	case client.Joined:
		h.mu.Lock()
		h.names[e.You.ID] = e.You.Name
		for _, p := range e.Participants {
			h.names[p.ID] = p.Name
		}
		h.mu.Unlock()
		names := []string{}
		for _, p := range e.Participants {
			names = append(names, p.Name)
		}
		h.out("joined", map[string]any{"room": e.Room.ID, "link": e.Room.Link, "you": e.You.ID, "name": e.You.Name,
			"host": e.You.Host, "participants": names, "locked": e.Room.Locked})
	case client.ParticipantJoined:
		h.mu.Lock()
		h.names[e.ID] = e.Name
		h.mu.Unlock()
		h.out("participant_joined", map[string]any{"id": e.ID, "name": e.Name, "host": e.Host})
	case client.ParticipantLeft:
		h.out("participant_left", map[string]any{"id": e.ID, "name": h.name(e.ID), "reason": e.Reason})
	case client.RemoteTrack:
		h.out("track", map[string]any{"from": e.Info.ParticipantID, "name": h.name(e.Info.ParticipantID), "kind": string(e.Info.Kind), "track": e.Info.ID})
		h.decode(ctx, call, e)
	case client.TrackUnpublished:
		h.out("track_ended", map[string]any{"from": e.ParticipantID, "name": h.name(e.ParticipantID), "kind": string(e.Kind), "track": e.ID})
	case client.Speaking:
		h.out("speaking", map[string]any{"id": e.ParticipantID, "name": h.name(e.ParticipantID), "speaking": e.Speaking, "active": e.Active})
	case client.Knock:
		h.out("knock", map[string]any{"knock": e.ID, "name": e.Name})
	case client.KnockEnded:
		h.out("knock_ended", map[string]any{"knock": e.ID, "reason": e.Reason})
	case client.RoomUpdated:
		h.out("room_updated", map[string]any{"locked": e.Locked, "visibility": e.Visibility, "name": e.Name, "theme": e.Theme})
	case client.Muted:
		h.out("mute", map[string]any{"id": e.ParticipantID, "name": h.name(e.ParticipantID), "kind": string(e.Kind), "muted": e.Muted})
	case client.Chat:
		h.out("chat", map[string]any{"from": e.From, "name": e.Name, "text": e.Text})
	case client.Ending:
		h.out("ending", map[string]any{"ends_at": e.EndsAt.UTC().Format(time.RFC3339)})
	case client.Reconnecting:
		h.out("reconnecting", map[string]any{"attempt": e.Attempt, "reason": fmt.Sprint(e.Err)})
	case client.Reconnected:
		h.out("reconnected", map[string]any{"rejoined": e.Rejoined, "you": e.ParticipantID, "restarts": e.Restarts, "after_ms": e.After.Milliseconds()})
	case client.Bandwidth:
		h.mu.Lock()
		for id, r := range h.recv {
			r.setPaused(slices.Contains(e.Paused, id))
		}
		h.mu.Unlock()
		h.out("bandwidth", map[string]any{"paused": e.Paused, "estimate_bps": e.EstimateBps})
	case client.MediaFailed:
		h.out("media_failed", map[string]any{"pc": string(e.PC), "tried": e.Transports, "reason": e.Reason})
	case client.ServerError:
		fields := map[string]any{"code": string(e.Code), "message": e.Message}
		if len(e.Sharers) > 0 {
			fields["sharers"] = e.Sharers
		}
		h.out("error", fields)
		if e.Code == api.CodeScreenShareLimit && h.screen != nil {
			// The call has no room for our screen: stop offering it and
			// carry on with the rest.
			_ = call.Unpublish(h.screen.Track().ID())
			_ = h.screen.Close()
			h.screen = nil
			h.out("screen_stopped", map[string]any{"reason": string(e.Code)})
		}
	case client.Removed:
		h.out("removed", map[string]any{"reason": e.Reason})
		return &exitError{code: exitFor(api.CodeBanned), apiCode: api.CodeBanned, err: errors.New("you were removed by the host")}
	case client.Ended:
		h.out("ended", map[string]any{"reason": e.Reason})
		return &exitError{code: exitFor(api.CodeRoomEnded), apiCode: api.CodeRoomEnded, err: errors.New("the host ended the room")}
	case client.Closed:
		if e.Err != nil && !errors.Is(e.Err, client.ErrLeft) && !errors.Is(e.Err, client.ErrRemoved) && !errors.Is(e.Err, client.ErrEnded) {
			return joinError(h.server, e.Err)
		}
	}
	return nil
}

func (h *headless) name(id string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.names[id]
}

// decode reads a remote track until it ends, reporting its first frame.
func (h *headless) decode(ctx context.Context, call *client.Call, e client.RemoteTrack) {
	r := &remote{info: e.Info, track: e.Track, arrived: time.Now()}
	h.mu.Lock()
	h.recv[e.Info.ID] = r
	h.mu.Unlock()
	var once sync.Once
	report := func(width, height int, extra map[string]any) {
		once.Do(func() {
			now := time.Now()
			fields := map[string]any{"from": e.Info.ParticipantID, "name": h.name(e.Info.ParticipantID), "kind": string(e.Info.Kind),
				"latency_ms": now.Sub(r.arrived).Milliseconds(), "since_join_ms": now.Sub(h.joinedAt).Milliseconds()}
			if width > 0 {
				fields["width"], fields["height"] = width, height
			}
			for k, v := range extra {
				fields[k] = v
			}
			h.out("first_frame", fields)
		})
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() {
			h.mu.Lock()
			delete(h.recv, e.Info.ID)
			h.mu.Unlock()
		}()
		var err error
		if h.noDecode {
			// Counted, not decoded: an audio packet is a frame, a video
			// frame ends at a marker, and a VP8 keyframe's header says
			// its size.
			video := e.Track.Kind() == webrtc.RTPCodecTypeVideo
			for ctx.Err() == nil {
				pkt, _, err := e.Track.ReadRTP()
				if err != nil {
					return
				}
				switch {
				case !video:
					h.gapped(r, r.frame(freezeAudio, time.Now()))
				case pkt.Marker:
					h.gapped(r, r.frame(freezeVideo, time.Now()))
				}
				if video {
					if w, ht, ok := media.VP8KeyframeSize(pkt.Payload); ok {
						r.width.Store(int32(w))
						r.height.Store(int32(ht))
					}
				}
			}
			return
		}
		switch e.Track.Kind() {
		case webrtc.RTPCodecTypeVideo:
			err = media.DecodeVideo(ctx, e.Track, func(fr media.Frame) {
				h.gapped(r, r.frame(freezeVideo, time.Now()))
				r.width.Store(int32(fr.Width))
				r.height.Store(int32(fr.Height))
				if r.frames.Load() == 1 {
					perr := media.CheckPattern(fr.Image, labelFor(h.name(e.Info.ParticipantID)))
					if e.Info.Kind == api.KindScreen {
						perr = media.CheckScreenPattern(fr.Image)
					}
					report(fr.Width, fr.Height, map[string]any{"pattern_ok": perr == nil})
				}
			}, func() { _ = call.RequestKeyframe(e.Track) })
		case webrtc.RTPCodecTypeAudio:
			err = media.DecodeAudio(ctx, e.Track, func(pcm []int16, rate, channels int) {
				h.gapped(r, r.frame(freezeAudio, time.Now()))
				report(0, 0, map[string]any{"sample_rate": rate, "channels": channels})
			})
		}
		if err != nil && ctx.Err() == nil {
			h.out("error", map[string]any{"code": "decode", "message": err.Error(), "track": e.Info.ID})
		}
	}()
}

// stats reports, per remote track, frames decoded, loss and bitrate.
func (h *headless) stats(call *client.Call) {
	st, rtt := call.Stats()
	h.mu.Lock()
	rs := make([]*remote, 0, len(h.recv))
	for _, r := range h.recv {
		rs = append(rs, r)
	}
	h.mu.Unlock()
	tracks := []map[string]any{}
	for _, r := range rs {
		s, ok := st[uint32(r.track.SSRC())]
		if !ok || s.BytesReceived < r.bytes {
			continue // the track has ended
		}
		kbps := float64(s.BytesReceived-r.bytes) * 8 / statsEvery.Seconds() / 1000
		r.bytes = s.BytesReceived
		t := map[string]any{"from": r.info.ParticipantID, "name": h.name(r.info.ParticipantID), "kind": string(r.info.Kind),
			"frames": r.frames.Load(), "packets": s.PacketsReceived, "lost": s.PacketsLost, "kbps": int(kbps + 0.5),
			"freezes": r.freezes.Load(), "max_gap_ms": time.Duration(r.maxGap.Swap(0)).Milliseconds()}
		if w := r.width.Load(); w > 0 {
			t["width"], t["height"] = w, r.height.Load()
		}
		tracks = append(tracks, t)
	}
	rttMS := math.Round(rtt*1e5) / 100
	up := h.uplink(call)
	if !h.f.json {
		h.statsLine(tracks, rttMS, up)
		return
	}
	ev := map[string]any{"tracks": tracks, "rtt_ms": rttMS}
	if up != nil {
		ev["uplink"] = up
	}
	h.out("stats", ev)
}

// statsLine is the readable form of a stats event.
func (h *headless) statsLine(tracks []map[string]any, rttMS float64, up map[string]any) {
	parts := []string{fmt.Sprintf("rtt=%.2fms", rttMS)}
	if up != nil {
		parts = append(parts, fmt.Sprintf("sent %v kbps of an estimated %v", up["sent_kbps"], up["estimate_kbps"]))
	}
	for _, t := range tracks {
		parts = append(parts, fmt.Sprintf("%s/%s: %v frames %v kbps %v lost", safetext.Line(fmt.Sprint(t["name"])), safetext.Line(fmt.Sprint(t["kind"])), t["frames"], t["kbps"], t["lost"]))
	}
	h.outMu.Lock()
	defer h.outMu.Unlock()
	fmt.Fprintf(h.f.IO.Out, "%s stats %s\n", time.Now().Format("15:04:05"), strings.Join(parts, "; "))
}

// labelFor is the colour a participant's test pattern carries, from its
// name, so a receiver can check it got the right person's picture.
func labelFor(name string) color.RGBA {
	hsh := fnv.New32a()
	hsh.Write([]byte(name))
	v := hsh.Sum32()
	// Saturated colours far from the pattern's own red, green, blue, white.
	palette := []color.RGBA{{255, 140, 0, 255}, {0, 200, 200, 255}, {200, 0, 200, 255}, {230, 230, 0, 255}, {120, 60, 220, 255}, {0, 120, 60, 255}}
	return palette[v%uint32(len(palette))]
}
