package termgfx

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"image/color"
	"io"
	"maps"
	"os"
	"path/filepath"
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
// skipped, not queued, so the screen drops frames rather than lag. A
// picture through shared memory is a short write that never blocks, so
// there a slot's next picture waits while two of its pictures are unread
// by kitty. A frame that is the same picture is not sent again, and in
// sixel a new frame sends only the cells whose pixels changed.
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

	frames atomic.Uint64 // new frames shown
	bytes  atomic.Uint64 // bytes of them

	// Owned by Run.
	noShm bool // writing to shared memory failed
	// unread is each slot's pictures in shared memory that kitty has not
	// read yet (it removes the object when it does): with maxInFlight
	// unread, the slot's next picture waits, so kitty never falls behind
	// by more than that, however slowly it draws.
	unread map[string][]unreadShm
	// shown is each slot's picture as drawn, to send nothing when a
	// frame is the same picture and, in sixel, only the cells that
	// changed (cleared whenever the pictures must all be drawn again).
	shown    map[string]*shownPicture
	shownAt  time.Time // when shown was last cleared (resendEvery)
	drawnGen uint64
	movedAt  time.Time
	refresh  int // how many of refreshAfter are done
	last     map[string]uint64
	counted  map[string]uint64 // each slot's last frame counted in frames
	ids      map[string]uint32
	nextID   uint32
	scaler   Scaler
	sixel    SixelEncoder
	buf      []byte
	batch    []byte // commands held back to go in one write (queue)
	z        bytes.Buffer
	zw       *zlib.Writer
}

// unreadShm is a picture sent through shared memory, not read yet.
type unreadShm struct {
	name  string
	since time.Time
}

// shownPicture is a slot's picture as it was last drawn.
type shownPicture struct {
	rgb  []byte
	w, h int
}

// same says whether rgb (w×h) is the slot's picture as last drawn, and
// keeps it as that when it is not.
func (p *Painter) same(key string, rgb []byte, w, h int) bool {
	if d := p.shown[key]; d != nil && d.w == w && d.h == h && bytes.Equal(d.rgb, rgb) {
		return true
	}
	p.keep(key, rgb, w, h)
	return false
}

// keep notes rgb (w×h) as the slot's picture drawn.
func (p *Painter) keep(key string, rgb []byte, w, h int) {
	d := p.shown[key]
	if d == nil {
		d = &shownPicture{}
		p.shown[key] = d
	}
	d.w, d.h = w, h
	d.rgb = append(d.rgb[:0], rgb...)
}

// changedCells is the smallest rectangle of whole cells (from the
// picture's top-left) of the w×h picture now that holds every pixel that
// differs from was; empty when none does.
func changedCells(was, now []byte, w, h int, cell image.Point) image.Rectangle {
	minX, maxX, minY, maxY := w, -1, h, -1
	for y := 0; y < h; y++ {
		a, b := was[y*w*3:(y+1)*w*3], now[y*w*3:(y+1)*w*3]
		if bytes.Equal(a, b) {
			continue
		}
		minY, maxY = min(minY, y), y
		i := 0
		for a[i] == b[i] {
			i++
		}
		j := len(a) - 1
		for a[j] == b[j] {
			j--
		}
		minX, maxX = min(minX, i/3), max(maxX, j/3)
	}
	if maxY < 0 {
		return image.Rectangle{}
	}
	cx, cy := max(cell.X, 1), max(cell.Y, 1)
	return image.Rect(minX/cx*cx, minY/cy*cy, min(w, (maxX/cx+1)*cx), min(h, (maxY/cy+1)*cy))
}

// resendEvery is how often a picture is sent whole again even when its
// frames are the same picture, or changed only in part.
var resendEvery = 2 * time.Second

// maxInFlight is how many of a slot's pictures may wait for kitty to
// read them: two, so a picture can go while kitty reads the one before
// (one made each slot wait a whole round trip through kitty's main loop
// between pictures, and lose frames it had time to show).
const maxInFlight = 2

// maxUnread is how long a slot waits for kitty to read its picture
// before it sends the next one anyway (and removes the unread one).
const maxUnread = time.Second

// NewPainter paints for a terminal of caps (Kitty or Sixel) on out, with
// bg where a picture does not fill its slot.
func NewPainter(caps Caps, out io.Writer, get Source, bg color.RGBA) *Painter {
	p := &Painter{caps: caps, out: out, get: get, bg: bg, last: map[string]uint64{}, ids: map[string]uint32{}, nextID: 0x524d00,
		counted: map[string]uint64{}, unread: map[string][]unreadShm{}, shown: map[string]*shownPicture{}}
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

// Frames counts the new frames shown so far (a slot's picture drawn
// again, after a move or over the renderer's text, is not one).
func (p *Painter) Frames() uint64 { return p.frames.Load() }

// Bytes counts the bytes of pictures sent so far.
func (p *Painter) Bytes() uint64 { return p.bytes.Load() }

// PaintEvery is how often the call screen's painter looks for new
// pictures: faster than the cameras send (15 fps), so no frame is missed
// for being between two looks, and no faster than needed, since each look
// that finds something makes the terminal draw its window again (kitty
// under a software renderer spends more on drawing its window than on
// the pictures).
const PaintEvery = time.Second / 24

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
		clear(p.shown)
		maps.DeleteFunc(p.counted, func(key string, _ uint64) bool {
			return !slices.ContainsFunc(slots, func(s Slot) bool { return s.Key == key })
		})
		p.forget(slots)
		p.movedAt, p.refresh = time.Now(), 0
	} else if p.refresh < len(refreshAfter) && time.Since(p.movedAt) >= refreshAfter[p.refresh] {
		p.refresh++
		clear(p.last)
		clear(p.shown)
	}
	if now := time.Now(); now.Sub(p.shownAt) >= resendEvery {
		// Whole pictures again now and then, whatever the terminal did
		// to the last ones (a terminal that erased or recycled them).
		clear(p.shown)
		p.shownAt = now
	}
	if o, ok := p.out.(*Output); ok && o.TakeOthers() && p.caps.Mode == Sixel {
		// The renderer wrote text, maybe across a picture: in sixel
		// terminals that erases the picture's cells. Draw them all again.
		clear(p.last)
		clear(p.shown)
	}
	// Lower slots first, so a higher one is drawn over them.
	order := slices.Clone(slots)
	slices.SortStableFunc(order, func(a, b Slot) int { return a.Z - b.Z })
	for _, s := range order {
		img, seq := p.get(s.Key)
		if img == nil || s.At.Dx() < 1 || s.At.Dy() < 1 {
			if _, ok := p.last[s.Key]; ok && p.caps.Mode == Kitty {
				p.queue(AppendKittyHide(p.buf[:0], p.ids[s.Key]))
			}
			delete(p.last, s.Key)
			delete(p.shown, s.Key)
			continue
		}
		if last, ok := p.last[s.Key]; ok && last == seq {
			continue
		}
		if p.unreadYet(s.Key) {
			continue // the newest frame goes once kitty has the last one
		}
		p.last[s.Key] = seq
		p.draw(s, img)
		if c, ok := p.counted[s.Key]; !ok || c != seq {
			// A new frame on the screen (drawing one again after a move
			// or the renderer's text is not one).
			p.counted[s.Key] = seq
			p.frames.Add(1)
		}
		if p.moved(gen) {
			// Drawn where the slots were: leave the rest for the next
			// round; a sixel picture stays on the screen until cleared.
			p.flush()
			if p.caps.Mode == Sixel && p.onStale != nil {
				p.onStale()
			}
			return
		}
	}
	p.flush()
}

// maxBatch is the most the painter holds back to send in one write: the
// short commands of pictures in shared memory go together, so kitty
// reads a round's pictures at once and draws its window once for them,
// not once per picture; a picture's own pixels (base64, sixel) go alone,
// so the renderer's writes are not held up behind a long one.
const maxBatch = 16 << 10

// queue sends b with the round's other commands, or alone when long.
func (p *Painter) queue(b []byte) {
	if len(p.batch)+len(b) > maxBatch {
		p.flush()
	}
	if len(b) > maxBatch {
		p.write(b)
		return
	}
	p.batch = append(p.batch, b...)
}

// flush writes what queue held back.
func (p *Painter) flush() {
	if len(p.batch) > 0 {
		p.write(p.batch)
		p.batch = p.batch[:0]
	}
}

// unreadYet says whether kitty has yet to read the slot's last picture
// from shared memory (and has had less than maxUnread to do it).
func (p *Painter) unreadYet(key string) bool {
	left := p.unread[key][:0]
	for _, u := range p.unread[key] {
		path := filepath.Join(shmDir, u.name)
		if _, err := os.Stat(path); err != nil {
			continue // read (and removed)
		}
		if time.Since(u.since) >= maxUnread {
			_ = os.Remove(path) // kitty is not reading it
			continue
		}
		left = append(left, u)
	}
	p.unread[key] = left
	return len(left) >= maxInFlight
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
		if p.same(s.Key, rgb, w, h) {
			return // a still screen's frames: kitty has this picture
		}
		if p.caps.SharedMemory && !p.noShm {
			name, err := writeShm(rgb)
			if err == nil {
				p.unread[s.Key] = append(p.unread[s.Key], unreadShm{name: name, since: time.Now()})
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
		part := image.Rect(0, 0, bw, bh)
		if d := p.shown[s.Key]; d != nil && d.w == bw && d.h == bh {
			// Only the cells that changed: a shared page with a
			// moving caret is a few cells, not the whole screen.
			part = changedCells(d.rgb, rgb, bw, bh, cell)
			if part.Empty() {
				return // the same picture is on the screen
			}
		}
		p.keep(s.Key, rgb, bw, bh)
		p.buf = p.sixel.AppendPart(p.buf[:0], s.At.Min.X+part.Min.X/cell.X, s.At.Min.Y+part.Min.Y/cell.Y, rgb, bw, bh, part)
	default:
		return
	}
	p.queue(p.buf)
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
