package sfu

import (
	"crypto/rand"
	"encoding/hex"
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

// forwarder copies one published track to every subscriber.
type forwarder struct {
	info   api.Track
	pub    *Peer
	remote *webrtc.TrackRemote
	// local is bound once per subscriber; one write reaches them all, each
	// with its own SSRC and payload type.
	local *fanout
	// hist answers subscribers' NACKs (video only: audio negotiates none).
	hist *history

	mu      sync.Mutex
	senders map[string]*webrtc.RTPSender // by subscriber id
	// fanout is len(senders), read on every packet without the lock.
	fanout  atomic.Int64
	stopped bool
	// keyTimer asks for a keyframe again once the interval allows.
	keyTimer *time.Timer

	lastKeyframeReq atomic.Int64
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
	local := newFanout(remote.Codec().RTPCodecCapability, id, pub.id, remote.Kind())
	f := &forwarder{
		info:    api.Track{ID: id, ParticipantID: pub.id, Kind: kind},
		pub:     pub,
		remote:  remote,
		local:   local,
		senders: map[string]*webrtc.RTPSender{},
	}
	f.audible.Store(true)
	if remote.Kind() == webrtc.RTPCodecTypeVideo {
		f.hist = &history{}
	}
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

// run forwards packets until the publisher's track ends. It reads into
// one buffer and one packet, reused: nothing is allocated per packet.
func (f *forwarder) run() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := f.remote.Read(buf)
		if err != nil {
			if f.speaking.speaking {
				f.pub.router.events.Speaking(f.info.ParticipantID, false)
			}
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		if len(pkt.Payload) == 0 {
			// Padding only: a browser probing its bandwidth (on the media
			// SSRC, as no RTX is negotiated). Not forwarded, so numbering
			// closes over it: no hole for subscribers to report lost.
			f.local.skipOne(pkt.SequenceNumber)
			continue
		}
		if f.levelID != 0 {
			if b := pkt.GetExtension(f.levelID); len(b) > 0 {
				level := b[0] & 0x7f
				// An average over about the last eight packets (160 ms).
				l := f.loudness.Load()
				f.loudness.Store(l + (int32(127-level)*loudnessScale-l)/8)
				if changed, on := f.speaking.observe(level, time.Now()); changed {
					f.speakingNow.Store(on)
					f.pub.router.events.Speaking(f.info.ParticipantID, on)
				}
			}
		}
		f.forward(&pkt)
	}
}

// forward sends one packet read from the publisher to every subscriber
// and keeps it for retransmission.
func (f *forwarder) forward(pkt *rtp.Packet) {
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
	if f.hist != nil {
		f.hist.add(pkt)
	}
	f.pub.router.sfu.forwarded.Add(uint64(f.local.WriteRTP(pkt)))
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
	// Under the peer's view lock, so a SetHidden running now cannot show
	// the track before this pauses it for good.
	p.viewMu.Lock()
	if p.isHidden(f.info.ID) {
		f.setPaused(p, true)
	}
	p.viewMu.Unlock()
	p.router.goOwned(func() { f.readRTCP(sender) })
	p.negotiate()
	f.requestKeyframe()
}

// readRTCP reads a subscriber's reports (which also feeds the NACK
// responder) and passes keyframe requests up to the publisher.
func (f *forwarder) readRTCP(sender *webrtc.RTPSender) {
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				f.requestKeyframe()
			case *rtcp.TransportLayerNack:
				f.answerNack(pkt)
			}
		}
	}
}

// setPaused stops or resumes sending this track to p; a video track
// shown again needs a keyframe at once. Audio is never paused.
func (f *forwarder) setPaused(p *Peer, paused bool) {
	if f.remote.Kind() != webrtc.RTPCodecTypeVideo {
		return
	}
	f.mu.Lock()
	sender := f.senders[p.id]
	f.mu.Unlock()
	if sender == nil {
		return
	}
	enc := sender.GetParameters().Encodings
	if len(enc) == 0 {
		return
	}
	if f.local.setPaused(uint32(enc[0].SSRC), paused) && !paused {
		f.requestKeyframe()
	}
}

// answerNack resends what a subscriber lost, from the track's history.
func (f *forwarder) answerNack(n *rtcp.TransportLayerNack) {
	if f.hist == nil {
		return
	}
	b := f.local.bindingFor(n.MediaSSRC)
	if b == nil {
		return
	}
	var seqs []uint16
	for _, pair := range n.Nacks {
		seqs = append(seqs, pair.PacketList()...)
	}
	f.pub.router.sfu.retransmitted.Add(uint64(b.resendFrom(f.hist, seqs)))
}

// requestKeyframe asks the publisher for a keyframe, at most every
// keyframeInterval.
func (f *forwarder) requestKeyframe() {
	if f.remote.Kind() != webrtc.RTPCodecTypeVideo {
		return
	}
	now := time.Now().UnixNano()
	last := f.lastKeyframeReq.Load()
	if wait := int64(keyframeInterval) - (now - last); wait > 0 {
		// Too soon after the last request: ask once more when allowed,
		// so whoever needs one now (a track shown again) is not left to
		// wait for the publisher's next keyframe of its own accord.
		f.mu.Lock()
		if f.keyTimer == nil && !f.stopped {
			f.keyTimer = time.AfterFunc(time.Duration(wait), func() {
				f.mu.Lock()
				f.keyTimer = nil
				stopped := f.stopped
				f.mu.Unlock()
				if !stopped {
					f.requestKeyframe()
				}
			})
		}
		f.mu.Unlock()
		return
	}
	if !f.lastKeyframeReq.CompareAndSwap(last, now) {
		return
	}
	_ = f.pub.pub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(f.remote.SSRC())}})
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
	if f.keyTimer != nil {
		f.keyTimer.Stop()
		f.keyTimer = nil
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
