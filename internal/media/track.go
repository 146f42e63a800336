package media

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/mediadevices"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// ErrNone is returned by OpenVideo and OpenAudio for the source "none".
var ErrNone = errors.New("no source")

// LocalTrack is an encoded local track ready to add to a PeerConnection.
//
// Close it when done with it, before or after closing the PeerConnection:
// Close first stops any binding still active. Encoding runs only while the
// track is bound, one encoder per PeerConnection it is added to.
type LocalTrack interface {
	// Track is what to pass to PeerConnection.AddTrack; it answers PLI/FIR with a keyframe.
	Track() webrtc.TrackLocal
	// Kind is video or audio.
	Kind() webrtc.RTPCodecType
	// Layers are the simulcast encodings sent after Track, in the order to
	// offer them (see VideoOptions.Simulcast): Track is then the first
	// layer, and every layer has Track's ID and StreamID and its own RID.
	// Nil for a track sent as one encoding.
	Layers() []webrtc.TrackLocal
	// SetActiveLayers says which layers (RIDs) somebody receives: the
	// others are encoded at 2 frames a second only, until named again.
	// A track sent as one encoding ignores it.
	SetActiveLayers(rids []string)
	// Bitrates are the most each encoding (Track, then Layers) is
	// encoded at, in bits per second; nil for audio, which is not adapted.
	Bitrates() []int
	// SetBitrates gives each encoding (by RID, "" for a track sent
	// alone) what it may send now, at most its Bitrates; 0 stops its
	// packets until a rate comes back (bitrate.go).
	SetBitrates(rates map[string]int)
	// Close stops encoding and releases the source.
	Close() error
	// Gate turns the source on and off and reports what it captures.
	Gate() *Gate
}

// localTrack wraps a mediadevices track for three reasons: mediadevices'
// StreamID is a fresh UUID on every call (pion reads it several times while
// building SDP), it stamps its own fixed payload type on every packet whatever
// was negotiated, and its Unbind can wait forever if the source is closed
// while a binding is still active or a write has failed (see ptWriter).
type localTrack struct {
	md       mediadevices.Track
	id       string
	streamID string
	rid      string // a simulcast layer's RTP stream id, else ""
	mime     string // the one codec this track encodes, e.g. "video/VP8"

	gate *Gate
	// onBind, when set, runs before each binding starts encoding.
	onBind func()
	// drop: the uplink has no room for this encoding; its packets are
	// not sent (bitrate.go).
	drop atomic.Bool

	mu     sync.Mutex
	bound  map[string]webrtc.TrackLocalContext
	closed bool
	rate   bitrateState
}

func newLocalTrack(md mediadevices.Track, mime, id, streamID string) *localTrack {
	g := newGate()
	switch t := md.(type) {
	case *mediadevices.VideoTrack:
		t.Transform(g.video)
	case *mediadevices.AudioTrack:
		t.Transform(g.audio)
	}
	return &localTrack{md: md, id: id, streamID: streamID, mime: mime, gate: g, bound: map[string]webrtc.TrackLocalContext{}}
}

// source is what StartPreview reads.
func (t *localTrack) source() mediadevices.Track { return t.md }

// Layers: a localTrack is one encoding.
func (t *localTrack) Layers() []webrtc.TrackLocal { return nil }

// SetActiveLayers: a localTrack is one encoding, always sent.
func (t *localTrack) SetActiveLayers([]string) {}

// Gate turns the source on and off and reports what it captures.
func (t *localTrack) Gate() *Gate { return t.gate }

func (t *localTrack) Track() webrtc.TrackLocal  { return (*trackLocal)(t) }
func (t *localTrack) Kind() webrtc.RTPCodecType { return t.md.Kind() }

func (t *localTrack) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	// Unbind while the source still produces frames: mediadevices' send
	// loop notices an unbind only between two frames.
	for id, ctx := range t.bound {
		_ = t.md.Unbind(ctx)
		delete(t.bound, id)
	}
	return t.md.Close()
}

// trackLocal is the webrtc.TrackLocal face of a localTrack.
type trackLocal localTrack

func (t *trackLocal) ID() string                { return t.id }
func (t *trackLocal) StreamID() string          { return t.streamID }
func (t *trackLocal) RID() string               { return t.rid }
func (t *trackLocal) Kind() webrtc.RTPCodecType { return t.md.Kind() }

func (t *trackLocal) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return webrtc.RTPCodecParameters{}, errors.New("media: track is closed")
	}
	pt, ok := firstPayloadType(ctx.CodecParameters(), t.mime)
	if !ok {
		return webrtc.RTPCodecParameters{}, errors.New("media: the peer did not negotiate " + t.mime)
	}
	if t.onBind != nil {
		t.onBind()
	}
	wctx := &ptContext{TrackLocalContext: ctx, w: &ptWriter{w: ctx.WriteStream(), pt: uint8(pt), drop: &t.drop}}
	codec, err := t.md.Bind(wctx)
	if err != nil {
		return codec, err
	}
	(*localTrack)(t).boundEncoder()
	t.bound[ctx.ID()] = wctx
	return codec, nil
}

func (t *trackLocal) Unbind(ctx webrtc.TrackLocalContext) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	wctx, ok := t.bound[ctx.ID()]
	if !ok {
		return nil
	}
	delete(t.bound, ctx.ID())
	return t.md.Unbind(wctx)
}

// firstPayloadType is the payload type mediadevices will pick: it walks the
// negotiated codecs in order and takes the first it has an encoder for, and
// this track has exactly one.
func firstPayloadType(codecs []webrtc.RTPCodecParameters, mime string) (webrtc.PayloadType, bool) {
	for _, c := range codecs {
		if strings.EqualFold(c.MimeType, mime) {
			return c.PayloadType, true
		}
	}
	return 0, false
}

type ptContext struct {
	webrtc.TrackLocalContext
	w *ptWriter
}

func (c *ptContext) WriteStream() webrtc.TrackLocalWriter { return c.w }

// ptWriter rewrites the payload type to the negotiated one (a browser may
// well have chosen another number for VP8 or Opus than mediadevices' own).
type ptWriter struct {
	w    webrtc.TrackLocalWriter
	pt   uint8
	drop *atomic.Bool // nothing is sent while set
}

// WriteRTP never fails: mediadevices ends a binding's send loop at the
// first write error without telling a concurrent Unbind, which then waits
// forever. pion's writes fail while a connection closes (its senders stop
// before they unbind; a simulcast sender's several loops made that race
// common), and pion unbinds right after; until then a failed packet is
// simply lost.
func (w *ptWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	h.PayloadType = w.pt
	if w.drop != nil && w.drop.Load() {
		return h.MarshalSize() + len(payload), nil
	}
	_, _ = w.w.WriteRTP(h, payload)
	return h.MarshalSize() + len(payload), nil
}

func (w *ptWriter) Write(b []byte) (int, error) {
	p := &rtp.Packet{}
	if err := p.Unmarshal(b); err != nil {
		return 0, err
	}
	return w.WriteRTP(&p.Header, p.Payload)
}
