package sfu

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// keyframeInterval bounds how often keyframes are asked of a publisher:
// every subscriber's PLI at once would make it send nothing but keyframes.
const keyframeInterval = 500 * time.Millisecond

// forwarder copies one published track to every subscriber. A simulcast
// track (layers.go) has up to maxLayers layers, each read by its own
// goroutine; a plain one has layer 0 only.
type forwarder struct {
	info api.Track
	pub  *Peer
	kind webrtc.RTPCodecType
	// recv is the publisher's receiver: a simulcast track's layers arrive
	// one by one on the same receiver.
	recv      *webrtc.RTPReceiver
	simulcast bool
	layers    [maxLayers]atomic.Pointer[layer]
	// local is bound once per subscriber; one write reaches them all, each
	// with its own SSRC and payload type.
	local *fanout

	mu      sync.Mutex
	senders map[string]*webrtc.RTPSender // by subscriber id
	// fanout is len(senders), read on every packet without the lock.
	fanout  atomic.Int64
	stopped bool
	done    chan struct{} // closed when stopped
	// running counts the layers still being read; the track ends when
	// the last one does.
	running int
	// selMu orders reselects (the view, a layer's first keyframe, the
	// ticker) so the publisher is told its layers in order.
	selMu sync.Mutex

	// levelID is the publisher's id for the audio-level extension; 0 if
	// it does not send one.
	levelID  uint8
	speaking speakingDetector
	// For the loudest-voices selection (audible.go): loudness is recent
	// loudness, speakingNow the detector's state, both written by run;
	// audible says whether the track is forwarded now, and gated (run's
	// own) whether packets were held back since.
	loudness    atomic.Int32
	speakingNow atomic.Bool
	audible     atomic.Bool
	gated       bool
}

func newForwarder(pub *Peer, remote *webrtc.TrackRemote, recv *webrtc.RTPReceiver, kind api.TrackKind) (*forwarder, error) {
	id := newTrackID()
	f := &forwarder{
		info:      api.Track{ID: id, ParticipantID: pub.id, Kind: kind},
		pub:       pub,
		kind:      remote.Kind(),
		recv:      recv,
		simulcast: remote.RID() != "" && remote.Kind() == webrtc.RTPCodecTypeVideo,
		senders:   map[string]*webrtc.RTPSender{},
		done:      make(chan struct{}),
	}
	f.local = newFanout(remote.Codec().RTPCodecCapability, id, pub.id, remote.Kind(), &f.layers, f.simulcast)
	f.local.switches = &pub.router.sfu.switches
	f.audible.Store(true)
	if remote.Kind() == webrtc.RTPCodecTypeAudio {
		for _, ext := range recv.GetParameters().HeaderExtensions {
			if ext.URI == AudioLevelURI {
				f.levelID = uint8(ext.ID)
			}
		}
	}
	return f, nil
}

func newTrackID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "t" + hex.EncodeToString(b)
}

// addLayer takes one more of the track's layers (the first too); it
// returns the layer's index, or false if there is no place for it or the
// track has ended. The caller then runs it.
func (f *forwarder) addLayer(remote *webrtc.TrackRemote) (int8, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped || (!f.simulcast && f.layers[0].Load() != nil) {
		return 0, false
	}
	slot := -1
	if i, ok := ridSlots[remote.RID()]; ok && f.layers[i].Load() == nil {
		slot = i
	} else {
		for i := range f.layers {
			if _, named := ridSlots[remote.RID()]; !named && f.layers[i].Load() == nil {
				slot = i
				break
			}
		}
	}
	if slot < 0 {
		return 0, false
	}
	l := &layer{rid: remote.RID(), remote: remote}
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		l.hist = &history{}
	}
	if !f.simulcast {
		l.w.Store(1) // never waited for: every subscriber gets it
	}
	l.lastAt.Store(time.Now().UnixNano())
	f.layers[slot].Store(l)
	f.running++
	return int8(slot), true
}

// runLayer reads layer li until the publisher's track ends; it says
// whether it was the last layer running (the track has ended then).
func (f *forwarder) runLayer(li int8) (last bool) {
	f.read(li)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running--
	return f.running == 0
}

// read forwards one layer's packets. It reads into one buffer and one
// packet, reused: nothing is allocated per packet.
func (f *forwarder) read(li int8) {
	l := f.layers[li].Load()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := l.remote.Read(buf)
		if err != nil {
			if f.speaking.speaking {
				f.pub.router.events.Speaking(f.info.ParticipantID, false)
			}
			return
		}
		f.pub.router.sfu.received.Add(1)
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		if len(pkt.Payload) == 0 {
			// Padding only: a browser probing its bandwidth (on the media
			// SSRC, as no RTX is negotiated). Not forwarded, so numbering
			// closes over it: no hole for subscribers to report lost.
			f.local.skipOne(li, pkt.SequenceNumber)
			continue
		}
		if f.levelID != 0 {
			if b := pkt.GetExtension(f.levelID); len(b) > 0 {
				level := b[0] & 0x7f
				// An average over about the last eight packets (160 ms).
				lv := f.loudness.Load()
				f.loudness.Store(lv + (int32(127-level)*loudnessScale-lv)/8)
				if changed, on := f.speaking.observe(level, time.Now()); changed {
					f.speakingNow.Store(on)
					f.pub.router.events.Speaking(f.info.ParticipantID, on)
				}
			}
		}
		f.forward(li, l, &pkt)
	}
}

// forward sends one packet read from the publisher to every subscriber
// and keeps it for retransmission.
func (f *forwarder) forward(li int8, l *layer, pkt *rtp.Packet) {
	// The publisher's header extension ids mean nothing on the
	// subscriber's connection; its own interceptors add what it
	// negotiated. Padding was taken off by Unmarshal.
	pkt.Header.Extension = false
	pkt.Header.Extensions = pkt.Header.Extensions[:0]
	pkt.Header.ExtensionProfile = 0
	pkt.Header.Padding = false
	pkt.Header.PaddingSize = 0
	if f.levelID != 0 {
		if !f.audible.Load() {
			f.gated = true // not among the loudest: nobody gets it
			return
		}
		if f.gated {
			f.gated = false
			f.local.markGap()
		}
	}
	key := false
	if f.simulcast {
		var w, h int32
		if key, w, h = vp8Keyframe(pkt.Payload); key {
			l.w.Store(w)
			l.h.Store(h)
			if l.keyed.CompareAndSwap(false, true) {
				f.pub.router.goOwned(f.reselect) // subscribers may wait for it
			}
		} else if !l.keyed.Load() {
			// No keyframe of this layer yet (the first went out before
			// the connection was up, or was lost): nobody can start on
			// it or learn its size. Rate-limited.
			f.requestKeyframe(li)
		}
		if newer32(pkt.Timestamp, l.lastTS.Load()) || !l.tsSeen {
			l.lastTS.Store(pkt.Timestamp)
			l.tsSeen = true
		}
		l.lastAt.Store(time.Now().UnixNano())
	}
	if l.hist != nil && !l.suspended.Load() {
		// A suspended layer goes to nobody: nobody will ask for it again
		// (a publisher may still send it slowly).
		l.hist.add(pkt)
	}
	f.pub.router.sfu.forwarded.Add(uint64(f.local.WriteRTP(li, pkt, key)))
}

// subscribe sends the track to p and asks the publisher for a keyframe so
// p's picture starts at once.
func (f *forwarder) subscribe(p *Peer) {
	f.mu.Lock()
	if f.stopped || f.senders[p.id] != nil {
		f.mu.Unlock()
		return
	}
	sender, err := p.sub.AddTrack(f.local)
	if err != nil {
		f.mu.Unlock()
		p.router.log.Debug("subscribe", "peer", p.id, "track", f.info.ID, "err", err)
		return
	}
	f.senders[p.id] = sender
	f.fanout.Store(int64(len(f.senders)))
	f.mu.Unlock()
	// Under the peer's view lock, so a SetView running now cannot show
	// the track before this pauses it for good.
	p.viewMu.Lock()
	hidden, size := p.viewOf(f.info.ID)
	if ssrc, ok := senderSSRC(sender); ok {
		f.local.setSize(ssrc, size)
	}
	if hidden {
		f.setPaused(p, true)
	}
	p.viewMu.Unlock()
	p.router.goOwned(func() { f.readRTCP(sender) })
	p.negotiate()
	if f.simulcast {
		if li := chooseLayer(&f.layers, size, time.Now().UnixNano(), 0); li >= 0 {
			f.requestKeyframe(li)
		} else {
			f.requestAll()
		}
	} else {
		f.requestKeyframe(0)
	}
}

// requestAll asks for a keyframe of every layer (a subscriber waiting for
// its first picture, no layer known yet).
func (f *forwarder) requestAll() {
	for i := range int8(maxLayers) {
		f.requestKeyframe(i) // absent layers are skipped
	}
}

// senderSSRC is the SSRC a subscriber's sender sends with.
func senderSSRC(s *webrtc.RTPSender) (uint32, bool) {
	enc := s.GetParameters().Encodings
	if len(enc) == 0 {
		return 0, false
	}
	return uint32(enc[0].SSRC), true
}

// readRTCP reads a subscriber's reports and passes keyframe requests up
// to the publisher (for the layer that subscriber gets) and NACKs to the
// history.
func (f *forwarder) readRTCP(sender *webrtc.RTPSender) {
	// A subscriber's compound RTCP names every stream it receives: only
	// what is about this sender's own SSRC is for this track and binding.
	own, _ := senderSSRC(sender)
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication:
				if pkt.MediaSSRC == own {
					f.keyframeFor(own)
				}
			case *rtcp.FullIntraRequest:
				if pkt.MediaSSRC == own {
					f.keyframeFor(own)
				}
			case *rtcp.TransportLayerNack:
				if pkt.MediaSSRC == own {
					f.answerNack(pkt)
				}
			case *rtcp.ReceiverReport:
				for _, r := range pkt.Reports {
					if r.SSRC == own {
						f.onLoss(own, r.FractionLost)
					}
				}
			}
		}
	}
}

// keyframeFor asks for a keyframe of the layer the subscriber whose
// sender has ssrc gets, or waits for.
func (f *forwarder) keyframeFor(ssrc uint32) {
	li := int8(0)
	if b := f.local.bindingFor(ssrc); b != nil {
		b.mu.Lock()
		li = b.cur
		if b.want >= 0 {
			li = b.want
		}
		b.mu.Unlock()
	}
	if li < 0 {
		f.requestAll()
		return
	}
	f.requestKeyframe(li)
}

// setPaused stops or resumes sending this track to p; a video track
// shown again needs a keyframe at once. Audio is never paused.
func (f *forwarder) setPaused(p *Peer, paused bool) {
	if f.kind != webrtc.RTPCodecTypeVideo {
		return
	}
	if ssrc, ok := f.ssrcFor(p); ok && f.local.setPaused(ssrc, paused) && !paused {
		f.keyframeFor(ssrc)
	}
}

// ssrcFor is the SSRC this track is sent to p with, if p subscribes.
func (f *forwarder) ssrcFor(p *Peer) (uint32, bool) {
	f.mu.Lock()
	sender := f.senders[p.id]
	f.mu.Unlock()
	if sender == nil {
		return 0, false
	}
	return senderSSRC(sender)
}

// setSize records how large p shows this track and moves p to the layer
// that fits it.
func (f *forwarder) setSize(p *Peer, size tileSize) {
	if !f.simulcast {
		return
	}
	if ssrc, ok := f.ssrcFor(p); ok {
		f.local.setSize(ssrc, size)
		f.reselect()
	}
}

// reselect moves every subscriber to the layer that fits it now and asks
// for keyframes of the layers some wait for.
func (f *forwarder) reselect() {
	now := time.Now().UnixNano()
	f.selMu.Lock()
	defer f.selMu.Unlock()
	waiting, needed := f.local.reselect(now)
	f.suspendUnneeded(needed, now)
	for i := range int8(maxLayers) {
		if waiting&(1<<i) != 0 {
			f.requestKeyframe(i)
		}
	}
}

// suspendUnneeded tells the publisher which layers somebody receives, so
// it can stop encoding the rest: a layer nobody has got or wanted for
// suspendAfter is suspended, one wanted again is resumed at once. The
// smallest layer always goes on (a new subscriber starts at once, and its
// keyframes keep the sizes known). Under selMu.
func (f *forwarder) suspendUnneeded(needed uint8, now int64) {
	// The layer always on is the smallest known (slots fill in arrival
	// order for RIDs other than q, h, f), else the first.
	keep, keepArea, any := -1, int64(0), -1
	for i := range f.layers {
		l := f.layers[i].Load()
		if l == nil {
			continue
		}
		if any < 0 {
			any = i
		}
		if area := int64(l.w.Load()) * int64(l.h.Load()); area > 0 && (keep < 0 || area < keepArea) {
			keep, keepArea = i, area
		}
	}
	if keep < 0 {
		keep = any
	}
	if keep < 0 {
		return
	}
	needed |= 1 << keep
	changed := false
	suspended := map[string]bool{}
	for i := range f.layers {
		l := f.layers[i].Load()
		if l == nil {
			continue
		}
		suspend := false
		switch {
		case needed&(1<<i) != 0:
			l.unneededSince = 0
		case !l.keyed.Load():
			// Never seen a keyframe: its size is unknown, nobody could
			// want it; stopping it would keep it unknown for good.
			l.unneededSince = 0
		default:
			if l.unneededSince == 0 {
				l.unneededSince = now
			}
			suspend = l.suspended.Load() || now-l.unneededSince >= int64(suspendAfter)
		}
		if l.suspended.Load() != suspend {
			if suspend {
				// Only a layer still arriving stays ready while suspended:
				// one its publisher had stopped of its own accord (no
				// bandwidth, no CPU) would be resumed to nothing.
				l.liveWhenSuspended.Store(now-l.lastAt.Load() < int64(layerStale))
				if l.hist != nil {
					l.hist.reset() // its buffers go until it is wanted again
				}
			} else {
				l.lastAt.Store(now) // its packets have a while to start again
			}
			l.suspended.Store(suspend)
			changed = true
		}
		if suspend {
			suspended[l.rid] = true
		}
	}
	if !changed {
		return
	}
	// Every layer the publisher offered is named but those suspended: a
	// layer not arrived yet must not be switched off by omission.
	var active []string
	for _, rid := range f.offeredRIDs() {
		if !suspended[rid] {
			active = append(active, rid)
		}
	}
	f.mu.Lock()
	stopped := f.stopped
	f.mu.Unlock()
	if !stopped && len(active) > 0 {
		f.pub.sig.SendLayers(api.Layers{Track: f.layers[keep].Load().remote.ID(), Active: active})
	}
}

// offeredRIDs are the layers the publisher's offer named, in its order;
// if the receiver does not say, the layers arrived.
func (f *forwarder) offeredRIDs() []string {
	var out []string
	for _, t := range f.recv.Tracks() {
		if rid := t.RID(); rid != "" {
			out = append(out, rid)
		}
	}
	if len(out) > 0 {
		return out
	}
	for i := range f.layers {
		if l := f.layers[i].Load(); l != nil {
			out = append(out, l.rid)
		}
	}
	return out
}

// watchLayers re-chooses layers every so often, as layers stop and start
// (a browser drops its top layer when it cannot keep up), until the track
// ends.
func (f *forwarder) watchLayers(done <-chan struct{}) {
	t := time.NewTicker(layerStale / 3)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			f.reselect()
		}
	}
}

// answerNack resends what a subscriber lost, from the history of the
// layer it gets.
func (f *forwarder) answerNack(n *rtcp.TransportLayerNack) {
	if f.kind != webrtc.RTPCodecTypeVideo {
		return
	}
	b := f.local.bindingFor(n.MediaSSRC)
	if b == nil {
		return
	}
	// At most a history's worth, each once: one NACK packet can name
	// thousands, and they are sent under the binding's lock.
	var seqs []uint16
	for _, pair := range n.Nacks {
		for _, s := range pair.PacketList() {
			if len(seqs) < historySize && !slices.Contains(seqs, s) {
				seqs = append(seqs, s)
			}
		}
	}
	f.pub.router.sfu.retransmitted.Add(uint64(b.resendFrom(&f.layers, seqs)))
}

// requestKeyframe asks the publisher for a keyframe of layer li, at most
// every keyframeInterval.
func (f *forwarder) requestKeyframe(li int8) {
	if f.kind != webrtc.RTPCodecTypeVideo || li < 0 || li >= maxLayers {
		return
	}
	l := f.layers[li].Load()
	if l == nil {
		return
	}
	now := time.Now().UnixNano()
	last := l.lastKeyReq.Load()
	if wait := int64(keyframeInterval) - (now - last); wait > 0 {
		// Too soon after the last request: ask once more when allowed,
		// so whoever needs one now (a track shown again) is not left to
		// wait for the publisher's next keyframe of its own accord.
		f.mu.Lock()
		if l.keyTimer == nil && !f.stopped {
			l.keyTimer = time.AfterFunc(time.Duration(wait), func() {
				f.mu.Lock()
				l.keyTimer = nil
				stopped := f.stopped
				f.mu.Unlock()
				if !stopped {
					f.requestKeyframe(li)
				}
			})
		}
		f.mu.Unlock()
		return
	}
	if !l.lastKeyReq.CompareAndSwap(last, now) {
		return
	}
	_ = f.pub.pub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(l.remote.SSRC())}})
}

// requestKeyframes asks for a keyframe of every layer a subscriber waits
// for or gets (a subscriber's connection just came up).
func (f *forwarder) requestKeyframes() {
	var want uint8
	for _, b := range *f.local.binds.Load() {
		b.mu.Lock()
		if b.want >= 0 {
			want |= 1 << b.want
		} else if b.cur >= 0 {
			want |= 1 << b.cur
		}
		b.mu.Unlock()
	}
	if !f.simulcast {
		want = 1
	}
	for i := range int8(maxLayers) {
		if want&(1<<i) != 0 {
			f.requestKeyframe(i)
		}
	}
}

// unsubscribe takes the track from one subscriber.
func (f *forwarder) unsubscribe(peerID string) {
	f.mu.Lock()
	delete(f.senders, peerID)
	f.fanout.Store(int64(len(f.senders)))
	f.mu.Unlock()
}

// stop takes the track from every subscriber and renegotiates them.
func (f *forwarder) stop() {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	f.stopped = true
	close(f.done)
	for i := range f.layers {
		if l := f.layers[i].Load(); l != nil && l.keyTimer != nil {
			l.keyTimer.Stop()
			l.keyTimer = nil
		}
	}
	senders := f.senders
	f.senders = map[string]*webrtc.RTPSender{}
	f.fanout.Store(0)
	f.mu.Unlock()
	for id, s := range senders {
		p := f.pub.router.peer(id)
		if p == nil {
			continue
		}
		if err := p.sub.RemoveTrack(s); err == nil {
			p.negotiate()
		}
	}
}
