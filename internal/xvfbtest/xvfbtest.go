// Package xvfbtest starts a virtual X display (Debian's Xvfb) for tests and
// paints known pictures on it, so screen sharing is tested against a real X
// server rather than a stand-in.
package xvfbtest

import (
	"bufio"
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// Start runs Xvfb with one w x h screen on a free display number and
// returns it (":N"); the display stops when the test ends. Without Xvfb the
// test is skipped, except where CI=true: there it fails.
func Start(t testing.TB, w, h int) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Xvfb is missing; scripts/bootstrap installs it (Debian package xvfb)")
		}
		t.Skip("Xvfb is missing; scripts/bootstrap installs it (Debian package xvfb)")
	}
	display, stop, err := Run(w, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return display
}

// Run starts Xvfb with one w x h screen on a free display number and
// returns it (":N") and how to stop it.
func Run(w, h int) (display string, stop func(), err error) {
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		return "", nil, fmt.Errorf("no Xvfb here; scripts/bootstrap installs it (Debian package xvfb): %w", err)
	}
	r, wr, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	// -displayfd picks a free display and writes its number once ready;
	// -noreset keeps the root window's picture when painters disconnect.
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h), "-noreset", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		wr.Close()
		return "", nil, fmt.Errorf("start Xvfb: %w", err)
	}
	wr.Close()
	stop = func() {
		// SIGTERM lets Xvfb remove its lock file and socket; a second
		// later it is killed regardless.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			stop()
			return "", nil, fmt.Errorf("start Xvfb: it exited: %s", stderr.String())
		}
		return ":" + n, stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("start Xvfb: not ready in 30 s: %s", stderr.String())
	}
}

// Paint makes img the root window's background on display, scaled to
// nothing: img should be the screen's size. The picture stays after
// Paint returns.
func Paint(display string, img *image.RGBA) error {
	// xgb logs every connection without an .Xauthority; Xvfb needs none.
	xgb.Logger = log.New(io.Discard, "", 0)
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return fmt.Errorf("connect to X display %s: %w", display, err)
	}
	defer c.Close()
	scr := xproto.Setup(c).DefaultScreen(c)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	pix, err := xproto.NewPixmapId(c)
	if err != nil {
		return err
	}
	if err := xproto.CreatePixmapChecked(c, scr.RootDepth, pix, xproto.Drawable(scr.Root), uint16(w), uint16(h)).Check(); err != nil {
		return fmt.Errorf("create a %dx%d pixmap: %w", w, h, err)
	}
	gc, err := xproto.NewGcontextId(c)
	if err != nil {
		return err
	}
	if err := xproto.CreateGCChecked(c, gc, xproto.Drawable(pix), 0, nil).Check(); err != nil {
		return fmt.Errorf("create a graphics context: %w", err)
	}
	// Depth 24 in a 32-bit ZPixmap is B, G, R, unused on little-endian
	// X servers. Send a band of rows at a time: requests are bounded.
	maxBytes := int(xproto.Setup(c).MaximumRequestLength)*4 - 64
	rows := max(maxBytes/(w*4), 1)
	buf := make([]byte, 0, rows*w*4)
	for y0 := 0; y0 < h; y0 += rows {
		y1 := min(y0+rows, h)
		buf = buf[:0]
		for y := y0; y < y1; y++ {
			line := img.Pix[(y-img.Rect.Min.Y)*img.Stride:]
			for x := range w {
				p := line[x*4:]
				buf = append(buf, p[2], p[1], p[0], 0)
			}
		}
		if err := xproto.PutImageChecked(c, xproto.ImageFormatZPixmap, xproto.Drawable(pix), gc,
			uint16(w), uint16(y1-y0), 0, int16(y0), 0, scr.RootDepth, buf).Check(); err != nil {
			return fmt.Errorf("paint rows %d-%d: %w", y0, y1, err)
		}
	}
	if err := xproto.ChangeWindowAttributesChecked(c, scr.Root, xproto.CwBackPixmap, []uint32{uint32(pix)}).Check(); err != nil {
		return fmt.Errorf("set the root window's picture: %w", err)
	}
	if err := xproto.ClearAreaChecked(c, false, scr.Root, 0, 0, 0, 0).Check(); err != nil {
		return fmt.Errorf("show the root window's picture: %w", err)
	}
	// The window holds its own reference to its background: the pixmap
	// lives on after this id (and this connection) is gone.
	return xproto.FreePixmapChecked(c, pix).Check()
}
