package client

import (
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// The uplink: what this client may send, from roomsd's transport-cc
// feedback on the publish connection.
//
// Every packet the publish connection sends carries a transport-wide
// sequence number (the TWCC header extension); roomsd reports which
// arrived and when, and pion's send-side estimator (interceptor/pkg/gcc,
// Google Congestion Control: delay growth and loss) turns that into a
// target bitrate, at 2.5 times which a pacer spreads the video packets
// out (a keyframe would otherwise go out as one burst and overflow a
// narrow link's queue; pacer.go: audio is never held, and video drains
// faster while more than 250 ms of it waits). gcc is what the SFU did not use on its forwarding side
// (it allocates per packet and ticks every 5 ms per connection:
// internal/sfu/bwe.go): a client has one publish connection and a few
// hundred packets a second, which is the case gcc was made for.
//
// Every uplinkEvery, and whenever the estimate changes, the call's own
// goroutine shares the estimate out (allocateUplink): the audio first
// (it is never adapted, only left room), then every video track's
// smallest encoding, squeezed if need be but never stopped, then the
// larger simulcast layers in order, each only when all of it fits; a
// layer that does not fit stops sending altogether. The server needs no
// word of it: a layer with no packets for 1.5 s counts as stopped there
// and its viewers move to a smaller one, as when a browser drops a layer.
// A layer stopped for bandwidth is not tried again for a while (2 s,
// doubling to 30 s each time it had to stop again), since the estimate
// climbs while the client sends less than it and would otherwise
// overflow the link again and again.

const (
	// uplinkEvery is how often the estimate is shared out at the latest.
	uplinkEvery = 500 * time.Millisecond
	// uplinkHeadroom of the estimate is spent: the rest covers packet
	// headers, retransmissions and the encoders' overshoot.
	uplinkHeadroom = 0.9
	// audioReserveBps is left for each audio track: an Opus voice at
	// 32 kbit/s and its packets' headers, 50 a second.
	audioReserveBps = 48_000
	// minEncodingBps is the least a track's smallest encoding is
	// squeezed to.
	minEncodingBps = 30_000
	// raiseMargin: a layer off is turned on only when this much of its
	// cost fits, so it does not flap at the edge.
	raiseMargin = 1.25
	// A layer stopped for bandwidth waits backoffFirst before it is tried
	// again, doubling to backoffMost each time it has to stop again
	// within backoffReset of turning on.
	backoffFirst = 2 * time.Second
	backoffMost  = 30 * time.Second
	backoffReset = 30 * time.Second
	// maxUplinkBps bounds the estimate: gcc climbs while the client
	// sends less than it, and nothing here sends more.
	maxUplinkBps = 5_000_000
	// rateChange: a new rate is handed to an encoding only when it
	// moves by more than this share (or turns it on or off).
	rateChange = 0.05
)

// uplink is a call's estimate of its uplink and the allocation's state.
type uplink struct {
	// est is the newest publish connection's estimator, set by the
	// interceptor factory as pion builds the connection.
	mu  sync.Mutex
	est cc.BandwidthEstimator
	// kick asks the allocation to run now (the estimate changed).
	kick chan struct{}
	// sent counts RTP bytes (header and payload) that left the publish
	// connections, after the pacer.
	sent atomic.Uint64

	// The allocation's own state (run's): each encoding's rate last
	// given, and each layer's backoff.
	rates   map[string]map[string]int // track id → RID → bps
	layers  map[layerKey]*layerBackoff
	lastEst int
	samples []sentSample // flowing's, the last goodputWindow
}

type layerKey struct{ track, rid string }

type layerBackoff struct {
	on      bool
	onSince time.Time
	until   time.Time // not raised again before
	wait    time.Duration
}

// newUplink is the estimate of a call publishing tracks, or nil when no
// track can change its bitrate (nothing to adapt; the load tester's
// replayed clips), so those calls pay for no pacer.
func newUplink(tracks []LocalTrack) *uplink {
	start := 0
	adapts := false
	for _, t := range tracks {
		if t.Kind == api.KindAudio {
			start += audioReserveBps
		}
		for _, b := range t.Bitrates {
			start += b
		}
		adapts = adapts || (t.OnBitrate != nil && len(t.Bitrates) > 0)
	}
	if !adapts {
		return nil
	}
	// Enough that everything fits from the start, headroom included.
	start = int(float64(start) / uplinkHeadroom * 1.05)
	return &uplink{kick: make(chan struct{}, 1), rates: map[string]map[string]int{}, layers: map[layerKey]*layerBackoff{}, lastEst: min(start, maxUplinkBps)}
}

// register adds to reg, before pion's defaults, what the publish
// connection needs: a counter of what is sent (innermost, after the
// pacer), the estimator and its pacer (pacer.go), the marking of audio
// packets for the pacer, and the stamping of transport-wide sequence
// numbers (outermost, so the estimator sees them). The first
// connection's estimate starts at what the tracks want together: a call
// on a good link starts as it would without it, and one on a narrow link
// comes down within a second or two; a reconnect's starts from the last
// estimate.
func (u *uplink) register(m *webrtc.MediaEngine, reg *interceptor.Registry) error {
	reg.Add(&sentCounter{n: &u.sent})
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		// Called as pion builds a publish connection, in newPeers: run's
		// (or Join's before run), as lastEst is.
		start := max(u.lastEst, 300_000)
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(start), gcc.SendSideBWEMinBitrate(minEncodingBps),
			gcc.SendSideBWEMaxBitrate(maxUplinkBps), gcc.SendSideBWEPacer(newPacer(start)))
	})
	if err != nil {
		return fmt.Errorf("uplink estimate: %w", err)
	}
	f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		e.OnTargetBitrateChange(func(int) {
			select {
			case u.kick <- struct{}{}:
			default:
			}
		})
		u.mu.Lock()
		u.est = e
		u.mu.Unlock()
	})
	reg.Add(f)
	reg.Add(&audioMark{})
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, reg); err != nil {
		return fmt.Errorf("uplink estimate: transport-wide sequence numbers: %w", err)
	}
	return nil
}

// estimate is the newest connection's target bitrate; 0 before one.
func (u *uplink) estimate() int {
	u.mu.Lock()
	e := u.est
	u.mu.Unlock()
	if e == nil {
		return 0
	}
	return e.GetTargetBitrate()
}

// flowing is what the publish connection sends and the link carries: the
// rate of the last goodputWindow when gcc sees neither loss (under 2 %)
// nor a queue growing (overuse), else 0. gcc's estimate falls well under
// it on a narrow link (after an overflow it decreases to 0.85 × what
// arrived and, while the client sends less than the estimate, climbs back
// only additively), and a smallest layer squeezed under what flows fine
// would be worse for nothing. run's (the samples).
func (u *uplink) flowing(now time.Time) int {
	u.mu.Lock()
	e := u.est
	u.mu.Unlock()
	sent := u.sent.Load()
	u.samples = append(u.samples, sentSample{now, sent})
	for len(u.samples) > 1 && now.Sub(u.samples[1].at) >= goodputWindow {
		u.samples = u.samples[1:]
	}
	if e == nil || len(u.samples) < 2 {
		return 0
	}
	first := u.samples[0]
	span := now.Sub(first.at)
	if span < goodputWindow/2 {
		return 0
	}
	return goodput(e.GetStats(), sent-first.sent, span)
}

// goodput is bytes sent over span as bits per second, if gcc's stats say
// it arrived (loss under 2 %, no overuse), else 0.
func goodput(stats map[string]any, bytes uint64, span time.Duration) int {
	loss, ok := stats["averageLoss"].(float64)
	if !ok || loss >= 0.02 || stats["usage"] == "overuse" || span <= 0 {
		return 0
	}
	return int(float64(bytes) * 8 / span.Seconds())
}

// sentSample is the byte count sent at a time.
type sentSample struct {
	at   time.Time
	sent uint64
}

// goodputWindow is how far back what flows is measured.
const goodputWindow = 2 * time.Second

// loop has the call share the estimate out every uplinkEvery and when it
// changes, until the call ends. The call's (call.wg).
func (u *uplink) loop(call *Call) {
	tick := time.NewTicker(uplinkEvery)
	defer tick.Stop()
	for {
		select {
		case <-call.ctx.Done():
			return
		case <-tick.C:
		case <-u.kick:
		}
		call.post(call.adaptUplink)
	}
}

// adaptUplink shares the estimate out among the tracks published. run's.
func (call *Call) adaptUplink() {
	u := call.up
	est := u.estimate()
	if est <= 0 {
		return
	}
	u.lastEst = est
	now := time.Now()
	est = max(est, u.flowing(now))
	budget := int(uplinkHeadroom * float64(est))
	var tracks []uplinkTrack
	for _, t := range call.s.local {
		if t.Kind == api.KindAudio {
			budget -= audioReserveBps
			continue
		}
		rids := encodingRIDs(t)
		if t.OnBitrate == nil || len(t.Bitrates) != len(rids) {
			continue
		}
		ut := uplinkTrack{id: t.Track.ID()}
		for i, rid := range rids {
			ut.encodings = append(ut.encodings, encoding{rid: rid, max: t.Bitrates[i]})
		}
		tracks = append(tracks, ut)
	}
	alloc := allocateUplink(budget, tracks, func(track, rid string) (on, mayRaise bool) {
		b := u.layers[layerKey{track, rid}]
		if b == nil {
			return true, true // a new layer starts on, as the encoder does
		}
		return b.on, !now.Before(b.until)
	})
	for _, t := range call.s.local {
		rates, ok := alloc[t.Track.ID()]
		if !ok {
			continue
		}
		for rid, bps := range rates {
			u.noteLayer(layerKey{t.Track.ID(), rid}, bps > 0, now)
		}
		if prev := u.rates[t.Track.ID()]; prev != nil && !ratesMoved(prev, rates) {
			continue
		}
		u.rates[t.Track.ID()] = rates
		t.OnBitrate(maps.Clone(rates))
	}
}

// noteLayer keeps a layer's backoff: stopped within backoffReset of
// turning on, it waits twice as long before the next try.
func (u *uplink) noteLayer(k layerKey, on bool, now time.Time) {
	b := u.layers[k]
	if b == nil {
		b = &layerBackoff{on: true, onSince: now}
		u.layers[k] = b
	}
	switch {
	case on && !b.on:
		b.on, b.onSince = true, now
	case !on && b.on:
		b.on = false
		if b.wait == 0 || now.Sub(b.onSince) > backoffReset {
			b.wait = backoffFirst
		} else {
			b.wait = min(2*b.wait, backoffMost)
		}
		b.until = now.Add(b.wait)
	}
}

// ratesMoved says whether any encoding turned on or off or moved by more
// than rateChange.
func ratesMoved(prev, next map[string]int) bool {
	for rid, n := range next {
		p := prev[rid]
		if (p > 0) != (n > 0) || float64(abs(n-p)) > rateChange*float64(p) {
			return true
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// encodingRIDs are t's encodings' RIDs, Track first ("" for a track sent
// alone).
func encodingRIDs(t LocalTrack) []string {
	var out []string
	for _, l := range t.layers() {
		out = append(out, l.RID())
	}
	return out
}

// uplinkTrack is one video track's encodings, smallest first.
type uplinkTrack struct {
	id        string
	encodings []encoding
}

type encoding struct {
	rid string
	max int // bps
}

// allocateUplink shares budget (bits per second for video, the audio's
// share already taken) among tracks and returns each encoding's rate by
// track id and RID, 0 for a layer stopped. Every track's first encoding
// comes first, an equal share each (the smaller ones' leftover going to
// the larger), never under minEncodingBps nor over its most; then the
// next layers in order, across the tracks, each on only if its whole
// cost fits (raiseMargin times it if it was off), and only if the layer
// below is on. state says whether a layer is on now and whether it may be
// turned on (its backoff).
func allocateUplink(budget int, tracks []uplinkTrack, state func(track, rid string) (on, mayRaise bool)) map[string]map[string]int {
	out := map[string]map[string]int{}
	order := make([]int, 0, len(tracks))
	for i, t := range tracks {
		if len(t.encodings) > 0 {
			order = append(order, i)
			out[t.id] = map[string]int{}
		}
	}
	// Smallest first: the larger take what the smaller leave.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && tracks[order[j]].encodings[0].max < tracks[order[j-1]].encodings[0].max; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	left := budget
	for n, i := range order {
		e := tracks[i].encodings[0]
		share := left / (len(order) - n)
		r := min(max(share, minEncodingBps), e.max)
		out[tracks[i].id][e.rid] = r
		left -= r
	}
	top := 0
	for _, t := range tracks {
		top = max(top, len(t.encodings))
	}
	for level := 1; level < top; level++ {
		for _, t := range tracks {
			if level >= len(t.encodings) {
				continue
			}
			e, below := t.encodings[level], t.encodings[level-1]
			on, mayRaise := state(t.id, e.rid)
			need := e.max
			if !on {
				need = int(raiseMargin * float64(e.max))
			}
			if out[t.id][below.rid] > 0 && (on || mayRaise) && left >= need && out[t.id][below.rid] >= below.max {
				out[t.id][e.rid] = e.max
				left -= e.max
			} else {
				out[t.id][e.rid] = 0
			}
		}
	}
	return out
}

// UplinkStats is what the client sends and may send.
type UplinkStats struct {
	// EstimateBps is the publish connection's bandwidth estimate (0 when
	// the call adapts nothing: no track has OnBitrate).
	EstimateBps int
	// SentBytes counts RTP bytes (header and payload) sent on the
	// publish connections since the call began.
	SentBytes uint64
	// Rates are the bitrates last given to each track's encodings, by
	// track id and RID ("" for a track sent alone); 0: stopped.
	Rates map[string]map[string]int
}

// Uplink reports the estimate of this client's uplink and what it sent.
func (call *Call) Uplink() UplinkStats {
	if call.up == nil {
		return UplinkStats{}
	}
	st := UplinkStats{EstimateBps: call.up.estimate(), SentBytes: call.up.sent.Load(), Rates: map[string]map[string]int{}}
	call.look(func() {
		for id, r := range call.up.rates {
			st.Rates[id] = maps.Clone(r)
		}
	})
	return st
}

// sentCounter counts the bytes of every RTP packet a connection sends.
type sentCounter struct {
	interceptor.NoOp
	n *atomic.Uint64
}

func (c *sentCounter) NewInterceptor(string) (interceptor.Interceptor, error) { return c, nil }

func (c *sentCounter) BindLocalStream(_ *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		n, err := w.Write(h, payload, a)
		if err == nil {
			c.n.Add(uint64(n))
		}
		return n, err
	})
}
