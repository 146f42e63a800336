package media

import (
	"errors"
	"image"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/mediadevices"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/webrtc/v4"
	xdraw "golang.org/x/image/draw"
)

// Layer is one encoding of a simulcast video.
type Layer struct {
	RID           string // RTP stream id: "q", "h" or "f"
	Width, Height int
	BitrateBps    int
}

// SimulcastLayers are the encodings of a w x h video whose full layer
// gets bps, in the order they are offered (smallest first, as browsers
// do): "q" a quarter of the size in each dimension at 4/25 of bps, "h" half
// at 2/5, "f" full at bps. Sides stay even and at least 16; no layer gets
// less than 10 kbps.
func SimulcastLayers(w, h, bps int) []Layer {
	side := func(n, div int) int { return max(n/div&^1, 16) }
	rate := func(num, den int) int { return max(bps*num/den, 10_000) }
	return []Layer{
		{RID: "q", Width: side(w, 4), Height: side(h, 4), BitrateBps: rate(4, 25)},
		{RID: "h", Width: side(w, 2), Height: side(h, 2), BitrateBps: rate(2, 5)},
		{RID: "f", Width: w, Height: h, BitrateBps: bps},
	}
}

// simulcastTrack is one capture sent as several encodings. The capture is
// a mediadevices track that is never bound itself: each layer is a track of
// its own (a localTrack with a RID) whose source reads the capture's frames
// and scales them, so a layer encodes only while it is bound, answers
// keyframe requests on its own encoding, and the one Gate on the capture
// mutes them all.
type simulcastTrack struct {
	capture mediadevices.Track
	gate    *Gate
	layers  []*localTrack
	sources []*layerSource // one a layer, as layers

	mu     sync.Mutex
	closed bool
}

func openSimulcast(o VideoOptions) (LocalTrack, error) {
	capture, err := openVideoSource(o, mediadevices.NewCodecSelector())
	if err != nil {
		return nil, err
	}
	vt, ok := capture.(*mediadevices.VideoTrack)
	if !ok {
		_ = capture.Close()
		return nil, errors.New("media: the video source is not a video track")
	}
	gate := newGate()
	// Once to I420 at the capture: the layers then scale 1.5 bytes a
	// pixel, not 4, and no encoder converts on its own.
	vt.Transform(toI420, gate.video)
	t := &simulcastTrack{capture: capture, gate: gate}
	for _, l := range SimulcastLayers(o.Width, o.Height, o.BitrateBps) {
		lo := o
		lo.Width, lo.Height, lo.BitrateBps = l.Width, l.Height, l.BitrateBps
		selector, err := vp8Selector(lo)
		if err != nil {
			_ = t.Close()
			return nil, err
		}
		src := &layerSource{id: o.Source + "-" + l.RID, capture: vt, w: l.Width, h: l.Height, scale: l.Width != o.Width || l.Height != o.Height}
		t.sources = append(t.sources, src)
		md := mediadevices.NewVideoTrack(src, selector)
		t.layers = append(t.layers, &localTrack{md: md, id: o.TrackID, streamID: o.StreamID, rid: l.RID, mime: webrtc.MimeTypeVP8,
			gate: gate, onBind: src.restart, bound: map[string]webrtc.TrackLocalContext{}, rate: bitrateState{max: l.BitrateBps}})
	}
	return t, nil
}

func (t *simulcastTrack) Track() webrtc.TrackLocal  { return t.layers[0].Track() }
func (t *simulcastTrack) Kind() webrtc.RTPCodecType { return webrtc.RTPCodecTypeVideo }
func (t *simulcastTrack) Gate() *Gate               { return t.gate }
func (t *simulcastTrack) source() mediadevices.Track {
	return t.capture
}

func (t *simulcastTrack) Layers() []webrtc.TrackLocal {
	out := make([]webrtc.TrackLocal, 0, len(t.layers)-1)
	for _, l := range t.layers[1:] {
		out = append(out, l.Track())
	}
	return out
}

// SetActiveLayers slows the layers nobody receives to suspendedFPS: their
// encoders all but stop, and a layer named again is back at full rate
// (the receiver asks it for a keyframe).
func (t *simulcastTrack) SetActiveLayers(rids []string) {
	for i, l := range t.layers {
		t.sources[i].off.Store(!slices.Contains(rids, l.rid))
	}
}

// suspendedEvery is how often a suspended layer still passes a frame on:
// mediadevices' send loop notices an unbind only between two frames, so
// a layer fed nothing could not be unbound.
const suspendedEvery = 500 * time.Millisecond

// Close unbinds and closes the layers while the capture still produces
// frames (mediadevices notices an unbind only between two frames), then
// closes the capture.
func (t *simulcastTrack) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	var errs []error
	for _, l := range t.layers {
		errs = append(errs, l.Close())
	}
	errs = append(errs, t.capture.Close())
	return errors.Join(errs...)
}

// layerSource feeds one layer from the capture, scaled to w x h.
type layerSource struct {
	id      string
	capture *mediadevices.VideoTrack
	w, h    int
	scale   bool

	// off: nobody receives this layer; starved: the uplink has no room
	// for it (bitrate.go). Either way Read passes a frame on only every
	// suspendedEvery. last is when Read last passed one (Read's own).
	off, starved atomic.Bool
	last         time.Time

	mu sync.Mutex
	r  video.Reader
}

func (s *layerSource) ID() string   { return s.id }
func (s *layerSource) Close() error { return nil }

// restart makes the next read start from the capture's newest frame: a
// reader of mediadevices' broadcaster that was idle while others read would
// first replay up to 32 old frames at once.
func (s *layerSource) restart() {
	s.mu.Lock()
	s.r = nil
	s.mu.Unlock()
}

func (s *layerSource) Read() (image.Image, func(), error) {
	s.mu.Lock()
	if s.r == nil {
		s.r = s.capture.NewReader(false)
	}
	r := s.r
	s.mu.Unlock()
	img, release, err := r.Read()
	for err == nil && (s.off.Load() || s.starved.Load()) && time.Since(s.last) < suspendedEvery {
		release()
		img, release, err = r.Read()
	}
	s.last = time.Now()
	if err != nil || !s.scale {
		return img, release, err
	}
	defer release()
	return downscale(img, s.w, s.h), func() {}, nil
}

// toI420 turns each frame into a new 4:2:0 picture (the encoders' own
// format), converted by mediadevices' cgo code and then copied: its
// converter reuses its buffers, and the capture's frames are shared by the
// layers.
func toI420(r video.Reader) video.Reader {
	conv := video.ToI420(r)
	return video.ReaderFunc(func() (image.Image, func(), error) {
		img, release, err := conv.Read()
		if err != nil {
			return nil, func() {}, err
		}
		defer release()
		src := img.(*image.YCbCr) // ToI420 returns nothing else
		b := src.Rect
		dst := image.NewYCbCr(image.Rect(0, 0, b.Dx(), b.Dy()), image.YCbCrSubsampleRatio420)
		copyPlane(dst.Y, dst.YStride, src.Y[src.YOffset(b.Min.X, b.Min.Y):], src.YStride, b.Dx(), b.Dy())
		cw, ch := (b.Dx()+1)/2, (b.Dy()+1)/2
		copyPlane(dst.Cb, dst.CStride, src.Cb[src.COffset(b.Min.X, b.Min.Y):], src.CStride, cw, ch)
		copyPlane(dst.Cr, dst.CStride, src.Cr[src.COffset(b.Min.X, b.Min.Y):], src.CStride, cw, ch)
		return dst, func() {}, nil
	})
}

func copyPlane(dst []uint8, dstride int, src []uint8, sstride, w, h int) {
	for y := range h {
		copy(dst[y*dstride:y*dstride+w], src[y*sstride:y*sstride+w])
	}
}

// downscale returns a new w x h picture of img, box-filtered (each output
// pixel the mean of the pixels it covers). Every frame gets its own
// picture: the encoders of several bindings may hold frames at once.
// (mediadevices' cgo box scaler overruns its buffer on RGBA.)
func downscale(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	switch src := img.(type) {
	case *image.YCbCr:
		if src.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min == (image.Point{}) && b.Dx()%2 == 0 && b.Dy()%2 == 0 {
			dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
			boxScale(dst.Y, dst.YStride, w, h, src.Y, src.YStride, b.Dx(), b.Dy(), 1)
			boxScale(dst.Cb, dst.CStride, w/2, h/2, src.Cb, src.CStride, b.Dx()/2, b.Dy()/2, 1)
			boxScale(dst.Cr, dst.CStride, w/2, h/2, src.Cr, src.CStride, b.Dx()/2, b.Dy()/2, 1)
			return dst
		}
	case *image.RGBA:
		if b.Min == (image.Point{}) {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			boxScale(dst.Pix, dst.Stride, w, h, src.Pix, src.Stride, b.Dx(), b.Dy(), 4)
			return dst
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Rect, img, b, xdraw.Src, nil)
	return dst
}

// boxScale shrinks a plane of sw x sh pixels of ch bytes each into dw x dh
// (no larger than the source), each output pixel the rounded mean of the
// source pixels it covers. It sums whole source rows into per-column
// totals first, so each source byte is read once in a tight loop.
func boxScale(dst []uint8, dstride, dw, dh int, src []uint8, sstride, sw, sh, ch int) {
	xs := make([]int, dw+1) // output column dx covers source columns xs[dx]..xs[dx+1]
	for dx := range dw + 1 {
		xs[dx] = dx * sw / dw
	}
	sums := make([]int, dw*ch)
	for dy := range dh {
		y0, y1 := dy*sh/dh, max((dy+1)*sh/dh, dy*sh/dh+1)
		clear(sums)
		for y := y0; y < y1; y++ {
			row := src[y*sstride : y*sstride+sw*ch]
			if ch == 1 {
				for dx := range dw {
					s := 0
					for _, v := range row[xs[dx]:max(xs[dx+1], xs[dx]+1)] {
						s += int(v)
					}
					sums[dx] += s
				}
				continue
			}
			for dx := range dw {
				for x := xs[dx]; x < max(xs[dx+1], xs[dx]+1); x++ {
					for c := range ch {
						sums[dx*ch+c] += int(row[x*ch+c])
					}
				}
			}
		}
		out := dst[dy*dstride : dy*dstride+dw*ch]
		for dx := range dw {
			n := (y1 - y0) * (max(xs[dx+1], xs[dx]+1) - xs[dx])
			for c := range ch {
				out[dx*ch+c] = uint8((sums[dx*ch+c] + n/2) / n)
			}
		}
	}
}
