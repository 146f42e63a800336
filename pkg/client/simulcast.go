package client

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// AddSimulcastTrack adds to pc one sendonly transceiver whose sender sends
// layers as the encodings of one track, offered in this order (a=rid:…
// send and a=simulcast:send in the SDP). Each layer is a TrackLocal with
// the same ID, StreamID and kind as the others and its own RID, e.g.
// webrtc.NewTrackLocalStaticSample(codec, "video", "me",
// webrtc.WithRTPStreamID("q")).
//
// A receiver tells the layers apart by the sdes:mid and
// sdes:rtp-stream-id header extensions of their packets, which pion leaves
// to the track: AddSimulcastTrack wraps each layer so that every packet
// carries both. pc's MediaEngine must register them for video
// (webrtc.ConfigureSimulcastExtensionHeaders; RegisterDefaultInterceptors
// does); if the answer leaves them out, packets go out without them.
//
// Remove the sender with pc.RemoveTrack. Keyframe requests arrive per
// layer: sender.ReadSimulcastRTCP(rid), unless the layer reads its own
// RTCP (mediadevices' tracks and internal/media's do).
func AddSimulcastTrack(pc *webrtc.PeerConnection, layers ...webrtc.TrackLocal) (*webrtc.RTPSender, error) {
	if len(layers) == 0 {
		return nil, errors.New("simulcast: no layers")
	}
	seen := map[string]bool{}
	for _, l := range layers {
		if l == nil || l.RID() == "" {
			return nil, errors.New("simulcast: every layer needs a RID")
		}
		if seen[l.RID()] {
			return nil, fmt.Errorf("simulcast: two layers have RID %q", l.RID())
		}
		seen[l.RID()] = true
	}
	tr := &atomic.Pointer[webrtc.RTPTransceiver]{}
	wrapped := make([]*stampedLayer, len(layers))
	for i, l := range layers {
		wrapped[i] = &stampedLayer{TrackLocal: l, tr: tr}
	}
	t, err := pc.AddTransceiverFromTrack(wrapped[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, err
	}
	tr.Store(t)
	sender := t.Sender()
	for _, l := range wrapped[1:] {
		if err := sender.AddEncoding(l); err != nil {
			_ = pc.RemoveTrack(sender)
			return nil, fmt.Errorf("simulcast layer %q: %w", l.RID(), err)
		}
	}
	return sender, nil
}

// The header extensions that name a packet's media section and simulcast layer.
const (
	midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
	ridURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
)

// stampedLayer is a simulcast layer whose packets get the mid and rid
// header extensions.
type stampedLayer struct {
	webrtc.TrackLocal
	tr *atomic.Pointer[webrtc.RTPTransceiver]
}

func (l *stampedLayer) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var midID, ridID uint8
	for _, e := range ctx.HeaderExtensions() {
		switch e.URI {
		case midURI:
			midID = uint8(e.ID)
		case ridURI:
			ridID = uint8(e.ID)
		}
	}
	var mid string
	if t := l.tr.Load(); t != nil {
		mid = t.Mid() // set by the offer, before any binding
	}
	if midID == 0 || ridID == 0 || mid == "" {
		return l.TrackLocal.Bind(ctx)
	}
	w := &stampWriter{w: ctx.WriteStream(), midID: midID, ridID: ridID, mid: []byte(mid), rid: []byte(l.RID())}
	return l.TrackLocal.Bind(&stampedContext{TrackLocalContext: ctx, w: w})
}

type stampedContext struct {
	webrtc.TrackLocalContext
	w *stampWriter
}

func (c *stampedContext) WriteStream() webrtc.TrackLocalWriter { return c.w }

// stampWriter adds the mid and rid to every packet. Browsers stop once
// the receiver has reported on the SSRC; a few bytes a packet are not
// worth that bookkeeping, and roomsd strips extensions before forwarding.
type stampWriter struct {
	w            webrtc.TrackLocalWriter
	midID, ridID uint8
	mid, rid     []byte
}

func (s *stampWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	// A copy: the caller may reuse its header and its extensions.
	hh := *h
	hh.Extensions = append(make([]rtp.Extension, 0, len(h.Extensions)+2), h.Extensions...)
	if err := hh.SetExtension(s.midID, s.mid); err != nil {
		return 0, err
	}
	if err := hh.SetExtension(s.ridID, s.rid); err != nil {
		return 0, err
	}
	return s.w.WriteRTP(&hh, payload)
}

func (s *stampWriter) Write(b []byte) (int, error) {
	p := &rtp.Packet{}
	if err := p.Unmarshal(b); err != nil {
		return 0, err
	}
	if _, err := s.WriteRTP(&p.Header, p.Payload); err != nil {
		return 0, err
	}
	return len(b), nil
}

// readKeyframeRequests reads the RTCP of the layer rid of sender ("" when
// it is not simulcast) and calls onRequest for each PLI or FIR, until the
// sender stops.
func readKeyframeRequests(sender *webrtc.RTPSender, rid string, onRequest func()) {
	read := sender.ReadRTCP
	if rid != "" {
		read = func() ([]rtcp.Packet, interceptor.Attributes, error) { return sender.ReadSimulcastRTCP(rid) }
	}
	for {
		pkts, _, err := read()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				onRequest()
			}
		}
	}
}

// setLayers hands the server's word on which layers of one of our tracks
// somebody receives to that track.
func (call *Call) setLayers(l api.Layers) {
	i := slices.IndexFunc(call.s.local, func(t LocalTrack) bool { return t.Track.ID() == l.Track })
	var t LocalTrack
	if i >= 0 {
		t = call.s.local[i]
	}
	if i < 0 || t.OnLayers == nil || len(t.Layers) == 0 {
		return
	}
	known := map[string]bool{}
	for _, tl := range t.layers() {
		known[tl.RID()] = true
	}
	var active []string
	for _, rid := range l.Active {
		if known[rid] {
			active = append(active, rid)
		}
	}
	if len(active) == 0 {
		return // never none: the server always names one
	}
	t.OnLayers(active)
}

// allLayers tells every simulcast track that every layer is wanted: a new
// connection's server side knows nothing of what was suspended.
func (call *Call) allLayers() {
	for _, t := range call.s.local {
		allLayersOf(t)
	}
}

// allLayersOf tells a simulcast track that every layer is wanted.
func allLayersOf(t LocalTrack) {
	if t.OnLayers == nil || len(t.Layers) == 0 {
		return
	}
	var all []string
	for _, tl := range t.layers() {
		all = append(all, tl.RID())
	}
	t.OnLayers(all)
}
