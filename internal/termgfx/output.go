package termgfx

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// Output is the terminal as both Bubble Tea's renderer and a Painter write
// to it: each Write goes out whole before another starts, so an image
// never lands inside one of the renderer's escape sequences. It is still
// the *os.File of the terminal (Fd and the rest), so the program finds its
// size and modes as before. Writes block while the terminal is busy
// drawing: that is what keeps a Painter from running ahead of it.
type Output struct {
	*os.File
	mu      sync.Mutex
	written atomic.Uint64
	// others says someone else (the renderer) wrote since TakeOthers.
	others atomic.Bool
}

// NewOutput wraps the terminal f.
func NewOutput(f *os.File) *Output { return &Output{File: f} }

func (o *Output) Write(p []byte) (int, error) {
	o.others.Store(true)
	return o.write(p)
}

// WritePictures writes a painter's pictures (Write is everyone else).
func (o *Output) WritePictures(p []byte) (int, error) { return o.write(p) }

// TakeOthers says whether anyone but the painter wrote since it was last
// asked: text written over a sixel picture erases it in xterm.
func (o *Output) TakeOthers() bool { return o.others.Swap(false) }

func (o *Output) write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.File.Write(p)
	o.written.Add(uint64(max(n, 0)))
	return n, err
}

// WriteString writes s like Write (the embedded file's own would bypass
// the lock).
func (o *Output) WriteString(s string) (int, error) { return o.Write([]byte(s)) }

// ReadFrom copies r through Write.
func (o *Output) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(struct{ io.Writer }{o}, r)
}

// Written counts the bytes written so far, by everyone.
func (o *Output) Written() uint64 { return o.written.Load() }
