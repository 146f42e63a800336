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
	stopped bool
	done    chan struct{} // closed when stopped
	// running counts the layers still being read; the track ends when
	// the last one does.
	running int

	// A video track's owner (owner.go): the one goroutine that runs its
	// policy, told by events on inbox and woken by kick; policy, binds
	// and wants (reused buffers) are its own. nil for audio.
	inbox  chan policyEvent
	kick   chan struct{}
	policy *layerPolicy
	binds  []bindState
	wants  []int8

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
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		f.inbox, f.kick = make(chan policyEvent, inboxSize), make(chan struct{}, 1)
		f.policy = newLayerPolicy(f.simulcast)
		f.local.kick = f.kick
	}
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
	f.kickOwner()
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
			f.flushHeld(li, l)
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
			f.flushHeld(li, l)
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
	l.bytes.Add(uint64(12 + len(pkt.Payload) + wireOverhead)) // as the estimate counts (bwe.go)
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
			if !l.keyed {
				l.keyed = true
				f.kickOwner() // subscribers may wait for it
			}
		}
		if newer32(pkt.Timestamp, l.lastTS.Load()) || !l.tsSeen {
			if !l.tsSeen {
				// Its first packet: the owner asks for a keyframe until
				// one is seen.
				f.kickOwner()
			}
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
	f.send(li, l, pkt, key) // sendpath.go
}

// subscribe sends the track to p; the track's owner then applies p's
// view and asks the publisher for a keyframe so p's picture starts at
// once.
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
	f.mu.Unlock()
	if ssrc, ok := senderSSRC(sender); ok && f.kind == webrtc.RTPCodecTypeVideo {
		// Paused before the offer goes out, so no packet reaches a track
		// p hides; the owner reads p's view again after (a SetView racing
		// this one is applied last).
		hidden, _ := p.viewOf(f.info.ID)
		f.local.setPaused(ssrc, hidden)
	}
	if ssrc, ok := senderSSRC(sender); ok {
		p.rtcp.add(ssrc, f) // its NACKs and keyframe requests (rtcpin.go)
	}
	f.post(policyEvent{kind: evSubscribed, peer: p})
	p.negotiate()
}

// senderSSRC is the SSRC a subscriber's sender sends with.
func senderSSRC(s *webrtc.RTPSender) (uint32, bool) {
	enc := s.GetParameters().Encodings
	if len(enc) == 0 {
		return 0, false
	}
	return uint32(enc[0].SSRC), true
}

// onRTCP acts on one RTCP packet from the subscriber whose sender has
// ssrc own (rtcpin.go): keyframe requests go to the track's owner, NACKs
// are answered here. Loss is the bandwidth estimate's (bwe.go), from the
// connection's transport-cc feedback. It runs on the subscribe
// connection's SRTCP goroutine, so it never waits for the owner: a
// keyframe request it has no room for is dropped (the subscriber asks
// again).
func (f *forwarder) onRTCP(pkt rtcp.Packet, own uint32) {
	switch pkt := pkt.(type) {
	case *rtcp.PictureLossIndication:
		if pkt.MediaSSRC == own {
			f.tryPost(policyEvent{kind: evPLI, ssrc: own})
		}
	case *rtcp.FullIntraRequest:
		if pkt.MediaSSRC == own {
			f.tryPost(policyEvent{kind: evPLI, ssrc: own})
		}
	case *rtcp.TransportLayerNack:
		if pkt.MediaSSRC == own {
			f.answerNack(pkt)
		}
	}
}

// viewChanged tells the track's owner that p's view changed.
func (f *forwarder) viewChanged(p *Peer) { f.post(policyEvent{kind: evView, peer: p}) }

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

// requestKeyframes asks for a keyframe of every layer a subscriber waits
// for or gets (a subscriber's connection just came up).
func (f *forwarder) requestKeyframes() { f.post(policyEvent{kind: evConnected}) }

// unsubscribe takes the track from one subscriber.
func (f *forwarder) unsubscribe(peerID string) {
	f.mu.Lock()
	sender := f.senders[peerID]
	delete(f.senders, peerID)
	f.mu.Unlock()
	if sender == nil {
		return
	}
	if ssrc, ok := senderSSRC(sender); ok {
		if p := f.pub.router.peer(peerID); p != nil {
			p.rtcp.remove(ssrc, f)
		}
		f.post(policyEvent{kind: evForget, ssrc: ssrc})
	}
}

// stop takes the track from every subscriber and renegotiates them.
func (f *forwarder) stop() {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return
	}
	f.stopped = true
	close(f.done) // the owner returns
	senders := f.senders
	f.senders = map[string]*webrtc.RTPSender{}
	f.mu.Unlock()
	for id, s := range senders {
		p := f.pub.router.peer(id)
		if p == nil {
			continue
		}
		if ssrc, ok := senderSSRC(s); ok {
			p.rtcp.remove(ssrc, f)
		}
		if err := p.sub.RemoveTrack(s); err == nil {
			p.negotiate()
		}
	}
}
