package termgfx

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"image/color"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Slot is a rectangle of cells the call screen leaves blank for a picture.
type Slot struct {
	Key string          // whose picture (the frame store's key)
	At  image.Rectangle // the cells, 0-based screen coordinates
	// Z puts a slot above others where they overlap (the self-view).
	Z int
	// Compress says the picture is worth compressing before it is sent
	// (a shared screen of text is mostly flat colour).
	Compress bool
}

// Source gives a slot's newest picture and a number that changes when it
// does; a nil picture draws nothing (the screen shows text there).
type Source func(key string) (image.Image, uint64)

// Painter draws the pictures of the call screen's slots over the cells
// Bubble Tea's renderer leaves blank, as kitty images or sixel, from its
// own goroutine (Run). It sends a slot's picture only when it changed or
// the slots moved, and writes straight to the terminal: a write blocks
// while the terminal is busy, and frames that arrive meanwhile are
// skipped, not queued, so the screen drops frames rather than lag.
type Painter struct {
	caps Caps
	out  io.Writer
	get  Source
	bg   color.RGBA

	mu    sync.Mutex
	slots []Slot
	gen   uint64

	// onStale asks the program to clear and redraw the screen: a sixel
	// picture was drawn where the slots no longer are.
	onStale func()

	frames atomic.Uint64 // pictures sent
	bytes  atomic.Uint64 // bytes of them

	// Owned by Run.
	noShm    bool // writing to shared memory failed
	drawnGen uint64
	movedAt  time.Time
	refresh  int // how many of refreshAfter are done
	last     map[string]uint64
	ids      map[string]uint32
	nextID   uint32
	scaler   Scaler
	sixel    SixelEncoder
	buf      []byte
	z        bytes.Buffer
	zw       *zlib.Writer
}

// NewPainter paints for a terminal of caps (Kitty or Sixel) on out, with
// bg where a picture does not fill its slot.
func NewPainter(caps Caps, out io.Writer, get Source, bg color.RGBA) *Painter {
	p := &Painter{caps: caps, out: out, get: get, bg: bg, last: map[string]uint64{}, ids: map[string]uint32{}, nextID: 0x524d00}
	p.sixel.Colors = caps.Colors
	return p
}

// OnStale sets what the painter calls when a sixel picture went where the
// slots had just moved from (it was being drawn as they moved): the
// program should clear the screen and draw it again. Set it before Run.
func (p *Painter) OnStale(f func()) { p.onStale = f }

// moved says whether the slots moved since gen.
func (p *Painter) moved(gen uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen != gen
}

// Caps is what the painter draws for.
func (p *Painter) Caps() Caps { return p.caps }

// Cell is the size of a cell in pixels.
func (p *Painter) Cell() image.Point { return p.caps.CellOrDefault() }

// SetSlots says where the pictures go now; nil clears them all. It says
// whether anything moved.
func (p *Painter) SetSlots(slots []Slot) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if slices.Equal(slots, p.slots) {
		return false
	}
	p.slots = slices.Clone(slots)
	p.gen++
	return true
}

// refreshAfter is when the pictures are all sent again after the slots
// moved: the program clears the screen of sixel leftovers after a move
// (Bubble Tea's renderer does not know the pictures are there), which may
// land after the first pictures were drawn.
var refreshAfter = []time.Duration{150 * time.Millisecond, 600 * time.Millisecond}

// Frames counts the pictures sent so far.
func (p *Painter) Frames() uint64 { return p.frames.Load() }

// Bytes counts the bytes of pictures sent so far.
func (p *Painter) Bytes() uint64 { return p.bytes.Load() }

// Run paints until ctx ends, checking for new pictures every interval,
// then removes the kitty images it made.
func (p *Painter) Run(ctx context.Context, interval time.Duration) {
	if p.caps.SharedMemory {
		removeStaleShm()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			p.clear()
			removeShm()
			return
		case <-tick.C:
		}
		p.Paint()
	}
}

// Paint sends every slot's picture that changed since it was last sent
// (every one, when the slots moved).
func (p *Painter) Paint() {
	p.mu.Lock()
	slots, gen := p.slots, p.gen
	p.mu.Unlock()
	moved := gen != p.drawnGen
	if moved {
		p.drawnGen = gen
		clear(p.last)
		p.forget(slots)
		p.movedAt, p.refresh = time.Now(), 0
	} else if p.refresh < len(refreshAfter) && time.Since(p.movedAt) >= refreshAfter[p.refresh] {
		p.refresh++
		clear(p.last)
	}
	if o, ok := p.out.(*Output); ok && o.TakeOthers() && p.caps.Mode == Sixel {
		// The renderer wrote text, maybe across a picture: in sixel
		// terminals that erases the picture's cells. Draw them all again.
		clear(p.last)
	}
	// Lower slots first, so a higher one is drawn over them.
	order := slices.Clone(slots)
	slices.SortStableFunc(order, func(a, b Slot) int { return a.Z - b.Z })
	for _, s := range order {
		img, seq := p.get(s.Key)
		if img == nil || s.At.Dx() < 1 || s.At.Dy() < 1 {
			if _, ok := p.last[s.Key]; ok && p.caps.Mode == Kitty {
				p.write(AppendKittyHide(p.buf[:0], p.ids[s.Key]))
			}
			delete(p.last, s.Key)
			continue
		}
		if last, ok := p.last[s.Key]; ok && last == seq {
			continue
		}
		p.last[s.Key] = seq
		p.draw(s, img)
		if p.moved(gen) {
			// Drawn where the slots were: leave the rest for the next
			// round; a sixel picture stays on the screen until cleared.
			if p.caps.Mode == Sixel && p.onStale != nil {
				p.onStale()
			}
			return
		}
	}
}

// forget hides kitty images of slots that moved and frees those of slots
// that went.
func (p *Painter) forget(slots []Slot) {
	if p.caps.Mode != Kitty {
		return
	}
	b := p.buf[:0]
	for key, id := range p.ids {
		if slices.ContainsFunc(slots, func(s Slot) bool { return s.Key == key }) {
			b = AppendKittyHide(b, id)
		} else {
			b = AppendKittyDelete(b, id)
			delete(p.ids, key)
		}
	}
	if len(b) > 0 {
		p.write(b)
	}
}

// clear deletes every kitty image made.
func (p *Painter) clear() {
	if p.caps.Mode != Kitty {
		return
	}
	b := p.buf[:0]
	for key, id := range p.ids {
		b = AppendKittyDelete(b, id)
		delete(p.ids, key)
	}
	if len(b) > 0 {
		p.write(b)
	}
}

// draw sends one slot's picture.
func (p *Painter) draw(s Slot, img image.Image) {
	cell := p.Cell()
	bw, bh := s.At.Dx()*cell.X, s.At.Dy()*cell.Y
	switch p.caps.Mode {
	case Kitty:
		id, ok := p.ids[s.Key]
		if !ok {
			id = p.nextID
			p.nextID++
			p.ids[s.Key] = id
		}
		size := img.Bounds().Size()
		w, h := NativeBox(bw, bh, size.X, size.Y)
		rgb := p.scaler.Fit(img, w, h, p.bg)
		if p.caps.SharedMemory && !p.noShm {
			name, err := writeShm(rgb)
			if err == nil {
				p.buf = AppendKittyShm(p.buf[:0], id, s.At.Min.X, s.At.Min.Y, s.At.Dx(), s.At.Dy(), name, len(rgb), w, h, s.Z)
				break
			}
			p.noShm = true // /dev/shm is full or gone: send the pixels
		}
		if s.Compress {
			p.buf = p.appendCompressed(p.buf[:0], id, s, rgb, w, h)
		} else {
			p.buf = AppendKittyImage(p.buf[:0], id, s.At.Min.X, s.At.Min.Y, s.At.Dx(), s.At.Dy(), rgb, w, h, s.Z)
		}
	case Sixel:
		if m := p.caps.MaxSixel; m.X > 0 && m.Y > 0 && (bw > m.X || bh > m.Y) {
			// Larger pictures are dropped whole: draw the largest of the
			// slot's shape that is shown.
			if bw*m.Y > bh*m.X {
				bw, bh = m.X, max(1, bh*m.X/bw)
			} else {
				bw, bh = max(1, bw*m.Y/bh), m.Y
			}
		}
		rgb := p.scaler.Fit(img, bw, bh, p.bg)
		p.buf = p.sixel.Append(p.buf[:0], s.At.Min.X, s.At.Min.Y, rgb, bw, bh)
	default:
		return
	}
	p.write(p.buf)
	p.frames.Add(1)
}

// appendCompressed is AppendKittyImage with the pixels deflated (o=z).
func (p *Painter) appendCompressed(b []byte, id uint32, s Slot, rgb []byte, w, h int) []byte {
	p.z.Reset()
	if p.zw == nil {
		p.zw, _ = zlib.NewWriterLevel(&p.z, zlib.BestSpeed)
	} else {
		p.zw.Reset(&p.z)
	}
	_, _ = p.zw.Write(rgb)
	_ = p.zw.Close()
	return appendKittyImage(b, id, s.At.Min.X, s.At.Min.Y, s.At.Dx(), s.At.Dy(), p.z.Bytes(), w, h, s.Z, true)
}

func (p *Painter) write(b []byte) {
	w := p.out.Write
	if o, ok := p.out.(*Output); ok {
		w = o.WritePictures
	}
	n, _ := w(b)
	p.bytes.Add(uint64(max(n, 0)))
}
