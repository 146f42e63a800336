package tui

import (
	"image"
	"sync"
	"sync/atomic"
)

// Frames holds the latest decoded frame of each participant's video. The
// decoders write, the view reads; a sequence number per participant lets
// the view skip re-rendering a tile whose picture did not change.
type Frames struct {
	mu     sync.Mutex
	latest map[string]frame
	seq    uint64
	// shown is who is on screen now; nil means everyone (before the first
	// layout).
	shown map[string]bool
	// sizes is how large each shown tile's video is, in half-block pixels.
	sizes map[string]image.Point
	// decoded counts the pictures Put (ROOMS_GRAPHICS_STATS).
	decoded atomic.Uint64
}

type frame struct {
	img image.Image
	seq uint64
}

// NewFrames makes an empty store.
func NewFrames() *Frames { return &Frames{latest: map[string]frame{}} }

// Put stores a participant's newest frame.
func (f *Frames) Put(participantID string, img image.Image) {
	f.mu.Lock()
	f.seq++
	f.latest[participantID] = frame{img: img, seq: f.seq}
	f.mu.Unlock()
	f.decoded.Add(1)
}

// Decoded counts the pictures put so far.
func (f *Frames) Decoded() uint64 { return f.decoded.Load() }

// Drop forgets a participant's picture (camera off, left).
func (f *Frames) Drop(participantID string) {
	f.mu.Lock()
	f.seq++
	delete(f.latest, participantID)
	f.mu.Unlock()
}

// Get returns a participant's newest frame and its sequence number.
func (f *Frames) Get(participantID string) (image.Image, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fr := f.latest[participantID]
	return fr.img, fr.seq
}

// SetShown says who is on screen: decoders of everyone else pause.
func (f *Frames) SetShown(ids []string) {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	f.mu.Lock()
	f.shown = m
	f.mu.Unlock()
}

// Shown says whether a participant's tile is on screen.
func (f *Frames) Shown(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.shown == nil || f.shown[id]
}

// SetSizes says how large each shown tile's video is, in pixels (a cell
// of half blocks is one pixel wide and two high).
func (f *Frames) SetSizes(sizes map[string]image.Point) {
	f.mu.Lock()
	f.sizes = sizes
	f.mu.Unlock()
}

// Size is how large a tile's video is shown, in pixels; zero if not known.
func (f *Frames) Size(id string) image.Point {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sizes[id]
}

// Seq changes whenever any frame does.
func (f *Frames) Seq() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}
