package termgfx

import (
	"bytes"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pictures is a Source over a map, with sequence numbers.
type pictures map[string]struct {
	img image.Image
	seq uint64
}

func (p pictures) get(key string) (image.Image, uint64) { return p[key].img, p[key].seq }

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

// steady turns off the painter's timed redraws (after a move, every
// resendEvery) for a test that counts what is sent: a slow machine must
// not change what the test sees.
func steady(t *testing.T) {
	after, every := refreshAfter, resendEvery
	refreshAfter, resendEvery = nil, time.Hour
	t.Cleanup(func() { refreshAfter, resendEvery = after, every })
}

var (
	kittyUpload = regexp.MustCompile(`\x1b_Ga=T,[^;]*i=(\d+)`)
	kittyDelete = regexp.MustCompile(`\x1b_Ga=d,d=I,q=2,i=(\d+)`)
	kittyHide   = regexp.MustCompile(`\x1b_Ga=d,d=i,q=2,i=(\d+)`)
)

func ids(re *regexp.Regexp, b []byte) []string {
	var out []string
	for _, m := range re.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

func TestPainterKitty(t *testing.T) {
	steady(t)
	var out bytes.Buffer
	pics := pictures{
		"ann": {solid(32, 24, color.RGBA{255, 0, 0, 255}), 1},
		"bo":  {solid(32, 24, color.RGBA{0, 0, 255, 255}), 1},
	}
	p := NewPainter(Caps{Mode: Kitty, Cell: image.Pt(8, 16)}, &out, pics.get, color.RGBA{})
	slots := []Slot{{Key: "ann", At: image.Rect(1, 1, 21, 8)}, {Key: "bo", At: image.Rect(22, 1, 42, 8)}}
	p.SetSlots(slots)

	p.Paint()
	first := ids(kittyUpload, out.Bytes())
	if len(first) != 2 || first[0] == first[1] {
		t.Fatalf("first paint uploaded %v, want one image for each of two tiles", first)
	}
	annID, boID := first[0], first[1]

	// Nothing changed: nothing sent.
	out.Reset()
	p.Paint()
	if out.Len() != 0 {
		t.Errorf("a paint with no new frame wrote %q", out.String())
	}

	// A new frame of ann's: only hers goes, under the same id.
	pics["ann"] = struct {
		img image.Image
		seq uint64
	}{solid(32, 24, color.RGBA{0, 255, 0, 255}), 2}
	out.Reset()
	p.Paint()
	if got := ids(kittyUpload, out.Bytes()); len(got) != 1 || got[0] != annID {
		t.Errorf("after ann's new frame uploaded %v, want only ann's id %s", got, annID)
	}
	if p.Frames() != 3 {
		t.Errorf("Frames = %d, want 3", p.Frames())
	}

	// bo's tile goes: his image is deleted (data freed), ann's is placed
	// again where she now is.
	out.Reset()
	p.SetSlots([]Slot{{Key: "ann", At: image.Rect(0, 0, 40, 20)}})
	p.Paint()
	if got := ids(kittyDelete, out.Bytes()); len(got) != 1 || got[0] != boID {
		t.Errorf("deleted %v when bo's tile went, want %s", got, boID)
	}
	if got := ids(kittyUpload, out.Bytes()); len(got) != 1 || got[0] != annID {
		t.Errorf("uploaded %v after the move, want ann's %s again", got, annID)
	}

	// ann's camera goes off (no picture): her placement is hidden.
	pics["ann"] = struct {
		img image.Image
		seq uint64
	}{nil, 3}
	out.Reset()
	p.Paint()
	if got := ids(kittyHide, out.Bytes()); len(got) != 1 || got[0] != annID {
		t.Errorf("hid %v when ann's picture went, want %s", got, annID)
	}
}

func TestPainterSixel(t *testing.T) {
	var out bytes.Buffer
	pics := pictures{"ann": {solid(64, 48, color.RGBA{255, 0, 0, 255}), 1}}
	p := NewPainter(Caps{Mode: Sixel, Cell: image.Pt(10, 20), MaxSixel: image.Pt(100, 100)}, &out, pics.get, color.RGBA{})
	p.SetSlots([]Slot{{Key: "ann", At: image.Rect(2, 3, 22, 13)}}) // 200x200 pixels
	p.Paint()
	w, h, _, _ := decodeSixel(t, out.Bytes())
	// The slot is 200x200 pixels; the terminal shows 100x100 at most.
	if w != 100 || h != 100 {
		t.Errorf("sixel of %dx%d, want 100x100 (the terminal's largest)", w, h)
	}
	if !bytes.HasPrefix(out.Bytes(), []byte("\x1b7\x1b[4;3H")) {
		t.Errorf("not drawn at row 4, column 3: %q", out.Bytes()[:12])
	}
}

// A new sixel frame sends only the cells that changed; when the renderer
// wrote text (which erases sixel pictures under it), the whole picture.
func TestPainterSixelSendsChangedCells(t *testing.T) {
	steady(t)
	f, err := os.CreateTemp(t.TempDir(), "terminal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := NewOutput(f)
	page := solid(200, 120, color.RGBA{255, 255, 255, 255})
	pics := pictures{"screen": {page, 1}}
	p := NewPainter(Caps{Mode: Sixel, Cell: image.Pt(10, 20)}, out, pics.get, color.RGBA{})
	p.SetSlots([]Slot{{Key: "screen", At: image.Rect(2, 3, 22, 9)}}) // 200x120 pixels
	sent := func() []byte {
		t.Helper()
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = f.Truncate(0); _, _ = f.Seek(0, 0) }()
		return b
	}
	p.Paint()
	if w, h, _, _ := decodeSixel(t, sent()); w != 200 || h != 120 {
		t.Fatalf("first picture %dx%d, want the whole 200x120", w, h)
	}

	// A caret: pixels (55..58, 70..73) go black, in the cells (5,3)..(6,4)
	// of the slot: only that cell is sent, at column 2+5, row 3+3.
	caret := solid(200, 120, color.RGBA{255, 255, 255, 255})
	for y := 70; y < 74; y++ {
		for x := 55; x < 59; x++ {
			caret.Set(x, y, color.RGBA{0, 0, 0, 255})
		}
	}
	pics["screen"] = struct {
		img image.Image
		seq uint64
	}{caret, 2}
	p.Paint()
	b := sent()
	if !bytes.HasPrefix(b, []byte("\x1b7\x1b[7;8H")) {
		t.Errorf("the changed cell is not drawn at row 7, column 8: %q", b[:min(len(b), 12)])
	}
	if w, h, _, _ := decodeSixel(t, b); w != 10 || h != 20 {
		t.Errorf("sent %dx%d pixels for a caret inside one cell, want that 10x20 cell", w, h)
	}

	// The same picture again (a new frame, nothing moved): nothing sent.
	pics["screen"] = struct {
		img image.Image
		seq uint64
	}{caret, 3}
	p.Paint()
	if b := sent(); len(b) != 0 {
		t.Errorf("an unchanged frame sent %d bytes", len(b))
	}

	// The renderer wrote text: the whole picture again.
	_, _ = out.Write([]byte("status"))
	_ = sent()
	pics["screen"] = struct {
		img image.Image
		seq uint64
	}{caret, 4}
	p.Paint()
	if w, h, _, _ := decodeSixel(t, sent()); w != 200 || h != 120 {
		t.Errorf("after the renderer wrote, sent %dx%d, want the whole 200x120", w, h)
	}
}

// A kitty on this machine reads pictures from shared memory: only the
// object's name goes through the terminal.
func TestPainterKittySharedMemory(t *testing.T) {
	steady(t)
	if _, err := os.Stat(shmDir); err != nil {
		t.Skip("no /dev/shm here")
	}
	t.Cleanup(removeShm)
	var out bytes.Buffer
	pics := pictures{"ann": {solid(32, 24, color.RGBA{255, 0, 0, 255}), 1}}
	p := NewPainter(Caps{Mode: Kitty, Cell: image.Pt(8, 16), SharedMemory: true}, &out, pics.get, color.RGBA{})
	p.SetSlots([]Slot{{Key: "ann", At: image.Rect(0, 0, 10, 5)}})
	p.Paint()
	ctrls, payload := kittyCommands(t, out.Bytes())
	if len(ctrls) != 1 || !strings.Contains(ctrls[0], "t=s") {
		t.Fatalf("commands %q, want one reading shared memory (t=s)", ctrls)
	}
	data, err := os.ReadFile(filepath.Join(shmDir, string(payload)))
	if err != nil {
		t.Fatalf("the named object %q: %v", payload, err)
	}
	if want := "S=" + strconv.Itoa(len(data)); !strings.Contains(ctrls[0], want) || len(data) != 32*32*3 {
		t.Errorf("object of %d bytes, command %q; want %s and a 32x32 RGB picture (the 80x80 slot's shape at the picture's width)", len(data), ctrls[0], want)
	}
	if out.Len() > 200 {
		t.Errorf("%d bytes through the terminal for a picture in shared memory", out.Len())
	}

	// New frames while kitty has not read the last one: one more goes
	// (kitty may be reading), then they wait (the terminal never falls
	// more than two pictures behind); once kitty has read the first (and
	// removed the object), the newest goes.
	frame := func(seq uint64, c color.RGBA) {
		pics["ann"] = struct {
			img image.Image
			seq uint64
		}{solid(32, 24, c), seq}
	}
	frame(2, color.RGBA{0, 255, 0, 255})
	out.Reset()
	p.Paint()
	if ctrls, _ := kittyCommands(t, out.Bytes()); len(ctrls) != 1 {
		t.Fatalf("with one picture unread, sent %q; want the next one", ctrls)
	}
	frame(3, color.RGBA{255, 255, 0, 255})
	out.Reset()
	p.Paint()
	if out.Len() != 0 {
		t.Errorf("sent %q while two pictures were still unread", out.String())
	}
	frame(4, color.RGBA{0, 0, 255, 255})
	if err := os.Remove(filepath.Join(shmDir, string(payload))); err != nil {
		t.Fatal(err)
	}
	p.Paint()
	ctrls, payload = kittyCommands(t, out.Bytes())
	if len(ctrls) != 1 || p.Frames() != 3 {
		t.Fatalf("after kitty read a picture: commands %q, %d frames; want the newest picture sent, 3 frames", ctrls, p.Frames())
	}
	data, err = os.ReadFile(filepath.Join(shmDir, string(payload)))
	if mid := (16*32 + 16) * 3; err != nil || len(data) != 32*32*3 || data[mid] != 0 || data[mid+1] != 0 || data[mid+2] != 255 {
		t.Errorf("the picture sent after the wait is not the newest (blue) frame: %v, %d bytes", err, len(data))
	}
}

// A new frame that is the same picture (a still shared screen sends them
// all the time) is not sent again: the terminal has it.
func TestPainterSkipsTheSamePicture(t *testing.T) {
	steady(t)
	var out bytes.Buffer
	pics := pictures{"screen": {solid(64, 36, color.RGBA{0, 150, 136, 255}), 1}}
	p := NewPainter(Caps{Mode: Kitty, Cell: image.Pt(8, 16)}, &out, pics.get, color.RGBA{})
	p.SetSlots([]Slot{{Key: "screen", At: image.Rect(0, 0, 16, 4)}})
	p.Paint()
	if got := ids(kittyUpload, out.Bytes()); len(got) != 1 {
		t.Fatalf("first paint uploaded %v, want the picture", got)
	}
	out.Reset()
	pics["screen"] = struct {
		img image.Image
		seq uint64
	}{solid(64, 36, color.RGBA{0, 150, 136, 255}), 2}
	p.Paint()
	if out.Len() != 0 {
		t.Errorf("a new frame of the same picture sent %d bytes", out.Len())
	}
	if p.Frames() != 2 {
		t.Errorf("Frames = %d, want 2 (the same picture is on the screen, up to date)", p.Frames())
	}
}
