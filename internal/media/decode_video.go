package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// RTPReader is a source of RTP packets of one track; *webrtc.TrackRemote
// satisfies it. Decoders keep (and may modify) the packets it returns, so it
// must not reuse them.
type RTPReader interface {
	ReadRTP() (*rtp.Packet, interceptor.Attributes, error)
}

// Frame is one decoded picture.
type Frame struct {
	Image         image.Image // *image.YCbCr (4:2:0) from the VP8 decoder
	Width, Height int
	At            time.Time // when it was decoded
	Keyframe      bool      // decoded from a VP8 keyframe
}

const (
	// maxVideoFrameBytes bounds one encoded frame: mediadevices' VP8 decoder
	// reads each frame into a 1 MiB buffer and would split a larger one.
	maxVideoFrameBytes = 1 << 20
	// maxLatePackets is how many newer packets the sample builder waits
	// for a missing one (NACK may still bring it); about 1.2 MB of VP8, so
	// it also bounds what one frame can hold in memory.
	maxLatePackets = 1024
	// keyframeRequestGap rate-limits keyframe requests: a keyframe takes a
	// round trip to arrive, and asking again meanwhile only costs bitrate.
	keyframeRequestGap = 500 * time.Millisecond
)

// DecodeVideo decodes the VP8 track r, calling onFrame for each picture and
// requestKeyframe (at most every 500 ms) while it has no usable reference
// frame, e.g. by sending a PLI for the track's SSRC.
//
// Both callbacks run on the caller's goroutine between packets: hand work
// off rather than block, or packets back up and are lost. Each Frame's image
// is newly allocated and the callee's to keep. DecodeVideo returns nil when r
// reports io.EOF and ctx.Err() when ctx ends; ctx interrupts a blocked
// ReadRTP only if r has SetReadDeadline (as *webrtc.TrackRemote has),
// otherwise at the next packet.
func DecodeVideo(ctx context.Context, r RTPReader, onFrame func(Frame), requestKeyframe func()) error {
	return DecodeVideoWhen(ctx, r, nil, onFrame, requestKeyframe)
}

// DecodeVideoWhen is DecodeVideo that decodes only while visible says so
// (nil: always): a UI skips the tiles it does not show. Frames that arrive
// while hidden are dropped, and the first one shown again waits for a
// keyframe, asked for at once.
func DecodeVideoWhen(ctx context.Context, r RTPReader, visible func() bool, onFrame func(Frame), requestKeyframe func()) error {
	dec, err := newVP8Decoder()
	if err != nil {
		return err
	}
	defer dec.close()
	stop := interruptOnDone(ctx, r)
	defer stop()

	if requestKeyframe == nil {
		requestKeyframe = func() {}
	}
	v := &videoDecodeLoop{dec: dec, onFrame: onFrame, requestKeyframe: requestKeyframe, needKeyframe: true, visible: visible}
	sb := samplebuilder.New(maxLatePackets, &codecs.VP8Packet{}, 90000,
		samplebuilder.WithMaxTimeDelay(time.Second), samplebuilder.WithRTPHeaders(true))
	for {
		pkt, err := nextPacket(ctx, r)
		if err != nil {
			if err == io.EOF {
				// The track ended: nothing will follow the frame the
				// sample builder holds back, so let it go.
				sb.Flush()
				for s := sb.Pop(); s != nil; s = sb.Pop() {
					v.sample(s.Data, s.RTPHeaders)
				}
				return nil
			}
			if err == ctx.Err() {
				return err
			}
			return fmt.Errorf("reading video RTP: %w", err)
		}
		if len(pkt.Payload) == 0 {
			// Padding (bandwidth probes). The sample builder needs it to
			// see the end of the frame before, the gap check must not count
			// it lost, and it must stand alone: the sample builder checks
			// the marker bit before the timestamp, so it would glue padding
			// to a following one-packet frame and drop both.
			v.padding(pkt.SequenceNumber)
			pkt.Marker = true
		}
		sb.Push(pkt)
		// The sample builder releases a frame only once a packet of the
		// next one arrives: pictures run one frame period late.
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			v.sample(s.Data, s.RTPHeaders)
		}
	}
}

type videoDecodeLoop struct {
	dec             *vp8Decoder
	onFrame         func(Frame)
	requestKeyframe func()
	visible         func() bool

	needKeyframe bool
	lastRequest  time.Time
	lastSeq      uint16
	haveLastSeq  bool
	paddingSeqs  map[uint16]struct{} // padding not yet between two frames
}

// maxPaddingSeqs bounds the padding remembered between two frames; past it
// a hole counts as loss, which costs at most a needless keyframe request.
const maxPaddingSeqs = 256

func (v *videoDecodeLoop) padding(seq uint16) {
	if v.paddingSeqs == nil {
		v.paddingSeqs = make(map[uint16]struct{})
	}
	if len(v.paddingSeqs) >= maxPaddingSeqs {
		// Stale entries (padding that arrived out of order) pile up only
		// here; forgetting them all costs at most one needless request.
		clear(v.paddingSeqs)
	}
	v.paddingSeqs[seq] = struct{}{}
}

// lost reports whether a packet between the previous frame and one starting
// at first never arrived (padding aside).
func (v *videoDecodeLoop) lost(first uint16) bool {
	if !v.haveLastSeq {
		return false
	}
	if first-v.lastSeq-1 > maxPaddingSeqs {
		return true
	}
	lost := false
	for seq := v.lastSeq + 1; seq != first; seq++ {
		if _, ok := v.paddingSeqs[seq]; !ok {
			lost = true
		}
		delete(v.paddingSeqs, seq)
	}
	return lost
}

func (v *videoDecodeLoop) sample(data []byte, headers []*rtp.Header) {
	// A hole in the sequence numbers means a frame (or part of one) is
	// gone for good: what follows references a picture we do not have.
	if len(headers) > 0 {
		first, last := headers[0].SequenceNumber, headers[len(headers)-1].SequenceNumber
		if v.lost(first) {
			v.needKeyframe = true
		}
		v.lastSeq, v.haveLastSeq = last, true
	}
	key := isVP8Keyframe(data)
	if v.visible != nil && !v.visible() {
		// Not on screen: skip the work; the next shown frame needs a
		// keyframe since the references are now stale.
		v.needKeyframe = true
		return
	}
	switch {
	case len(data) == 0 || len(data) > maxVideoFrameBytes:
		v.needKeyframe = true
	case key:
		v.needKeyframe = false
	}
	if v.needKeyframe {
		v.askForKeyframe()
		return
	}
	img, err := v.dec.decode(data)
	if err != nil {
		v.needKeyframe = true
		v.askForKeyframe()
		return
	}
	if img == nil {
		return // an invisible frame: it updates references only
	}
	if v.onFrame != nil {
		b := img.Bounds()
		v.onFrame(Frame{Image: img, Width: b.Dx(), Height: b.Dy(), At: time.Now(), Keyframe: key})
	}
}

func (v *videoDecodeLoop) askForKeyframe() {
	if now := time.Now(); now.Sub(v.lastRequest) >= keyframeRequestGap {
		v.lastRequest = now
		v.requestKeyframe()
	}
}

// isVP8Keyframe reads the frame tag of a VP8 frame (RFC 6386 §9.1): bit 0 of
// the first byte is 0 for a keyframe, and a keyframe carries a start code.
func isVP8Keyframe(frame []byte) bool {
	return len(frame) >= 10 && frame[0]&0x01 == 0 &&
		frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a
}

// vp8Decoder feeds mediadevices' VP8 decoder one whole frame per Read, which
// is what it needs: it decodes whatever a single Read returns.
type vp8Decoder struct {
	d       codec.VideoDecoder
	pending []byte
}

// errNoInput tells the decoder's Read that the frame produced no picture.
var errNoInput = errors.New("media: no frame pending")

func newVP8Decoder() (*vp8Decoder, error) {
	v := &vp8Decoder{}
	d, err := vpx.NewDecoder(v, prop.Media{})
	if err != nil {
		return nil, fmt.Errorf("VP8 decoder: %w", err)
	}
	v.d = d
	return v, nil
}

// Read hands the decoder the pending frame.
func (v *vp8Decoder) Read(p []byte) (int, error) {
	if v.pending == nil {
		return 0, errNoInput
	}
	if len(v.pending) > len(p) {
		n := len(v.pending)
		v.pending = nil
		return 0, fmt.Errorf("VP8 frame of %d bytes exceeds the decoder's %d-byte buffer", n, len(p))
	}
	n := copy(p, v.pending)
	v.pending = nil
	return n, nil
}

// decode returns the picture of one VP8 frame, or nil if it shows none.
func (v *vp8Decoder) decode(frame []byte) (image.Image, error) {
	v.pending = frame
	img, _, err := v.d.Read()
	v.pending = nil
	if errors.Is(err, errNoInput) {
		return nil, nil
	}
	return img, err
}

func (v *vp8Decoder) close() { _ = v.d.Close() }
