//go:build e2e

package e2e

// Screen sharing in the browser, against the terminal client: the browser
// shares and a headless `rooms join` decodes it; the terminal shares and
// the browser shows it in the spotlight; the server's cap refuses a second
// sharer; a stopped share ends for the others.
//
// Chromium shares without a picker with the flags newBrowser already
// passes: --use-fake-ui-for-media-stream accepts the getDisplayMedia
// prompt and --use-fake-device-for-media-stream makes the capture a fake
// one (an 800x450 moving test picture, "screen:-3:0"), so headless
// chromium needs no X display. Without the fake device headless capture
// fails (NotReadableError); without the fake UI the picker waits forever.
// --auto-select-desktop-capture-source and the tab-capture flags are not
// needed.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// startServerWith is startServer with extra roomsd flags.
func startServerWith(t *testing.T, extra ...string) *server {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{"serve", "--listen", "127.0.0.1:" + strconv.Itoa(port),
		"--udp-port", "0", "--data-dir", t.TempDir(), "--log-level", "warn"}, extra...)
	cmd := exec.Command(filepath.Join(binDir, "roomsd"), args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, _ := client.New(url)
	return &server{url: url, c: c}
}

// startPeerWith is startGoPeer with the join flags given: a headless
// `rooms join ROOM --headless --json` plus args.
func startPeerWith(t *testing.T, s *server, roomID string, args ...string) *goPeer {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "rooms"), append([]string{"join", roomID, "--headless", "--json"}, args...)...)
	cmd.Env = append(os.Environ(), "ROOMS_SERVER="+s.url, "XDG_STATE_HOME="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &goPeer{cmd: cmd, done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); <-p.done })
	return p
}

// events returns the peer's JSON events so far that have every field in want.
func (p *goPeer) events(want map[string]any) []map[string]any { return p.eventsFrom(0, want) }

// waitEvents waits up to 30 s for n events with every field in want.
func (p *goPeer) waitEvents(t *testing.T, n int, want map[string]any) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if evs := p.events(want); len(evs) >= n {
			return evs
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("the Go participant never reported %d × %v; it said:\n%s", n, want, strings.Join(p.lines, "\n"))
	return nil
}

// joinedBrowser opens the room in a 1280x800 chromium as name and waits
// until it is in the call.
func joinedBrowser(t *testing.T, link, name string) *browser {
	t.Helper()
	b := newBrowser(t, 1280, 800)
	b.open(link + "?autojoin=1&name=" + name)
	b.waitJS("the call", `window.roomsDebug.state().phase === 'joined'`)
	return b
}

const shareButtonIs = `((label) => { const b = document.querySelector('#share'); return b && !b.disabled && b.getAttribute('aria-label') === label })`

func TestScreenBrowserSharesWithTheTerminal(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Theme: "aperitivo", Name: "Screen test"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "testsrc")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := joinedBrowser(t, r.Link, "Web")

	b.waitJS("the share button", shareButtonIs+`('Share screen')`)
	b.click("#share")
	b.waitJS("the button turned to Stop sharing", shareButtonIs+`('Stop sharing')`)
	b.waitJS("our own share's indicator, not a mirror", `window.roomsDebug.state().sharing && !document.querySelector('#sharing-pill').hidden && document.querySelector('#spotlight').hidden`)

	// The terminal gets it as a screen, apart from the camera, and decodes it.
	goP.waitEvent(t, map[string]any{"type": "track", "kind": "screen", "name": "Web"})
	ff := goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "screen", "name": "Web"})
	if w, h := num(ff["width"]), num(ff["height"]); w <= 0 || h <= 0 {
		t.Fatalf("the screen's first frame is %vx%v: %v", ff["width"], ff["height"], ff)
	}
	goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Web"})

	// Stopping with the button ends the screen for the others; the camera goes on.
	b.click("#share")
	b.waitJS("the button back to Share screen", shareButtonIs+`('Share screen')`)
	b.waitJS("the indicator gone", `!window.roomsDebug.state().sharing && document.querySelector('#sharing-pill').hidden`)
	goP.waitEvent(t, map[string]any{"type": "track_ended", "kind": "screen", "name": "Web"})
	if n := len(goP.events(map[string]any{"type": "track_ended", "kind": "video", "name": "Web"})); n != 0 {
		t.Fatalf("stopping the screen ended the camera too")
	}

	// And sharing again publishes a fresh screen.
	b.click("#share")
	goP.waitEvents(t, 2, map[string]any{"type": "track", "kind": "screen", "name": "Web"})
	goP.waitEvents(t, 2, map[string]any{"type": "first_frame", "kind": "screen", "name": "Web"})
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// spotColoursJS samples the spotlight's video at the screen test
// picture's four quadrants, (1/8, 1/8), (7/8, 1/8), (1/8, 7/8), (7/8, 7/8)
// of the frame, averaging 5x5 pixels: "r,g,b;r,g,b;r,g,b;r,g,b", or empty
// before the first frame.
const spotColoursJS = `(() => {
  const v = document.querySelector('#spotlight[data-kind="screen"] video');
  if (!v || !v.videoWidth) return '';
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0);
  return [[1, 1], [7, 1], [1, 7], [7, 7]].map(([fx, fy]) => {
    const d = g.getImageData(Math.floor(c.width * fx / 8) - 2, Math.floor(c.height * fy / 8) - 2, 5, 5).data;
    let r = 0, gr = 0, b = 0;
    for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i+1]; b += d[i+2]; }
    const n = d.length / 4;
    return [r/n, gr/n, b/n].map(Math.round).join(',');
  }).join(';');
})()`

// The screen test picture's quadrants (internal/media's ScreenPattern).
var screenQuadrantColours = [4][3]int{{0, 150, 136}, {255, 112, 0}, {103, 58, 183}, {200, 200, 200}}

// quadrantsMatch says whether a spotColoursJS sample shows the four
// quadrant colours, within 48 per channel (VP8 and scaling blur them).
func quadrantsMatch(sample string) bool {
	parts := strings.Split(sample, ";")
	if len(parts) != 4 {
		return false
	}
	for i, p := range parts {
		var c [3]int
		if _, err := fmt.Sscanf(p, "%d,%d,%d", &c[0], &c[1], &c[2]); err != nil {
			return false
		}
		for k := range c {
			if d := c[k] - screenQuadrantColours[i][k]; d > 48 || d < -48 {
				return false
			}
		}
	}
	return true
}

// waitSpotColours waits up to 30 s for the spotlight to show the screen
// test picture, and says what it saw last if it never does.
func waitSpotColours(t *testing.T, b *browser) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](spotColoursJS))
		if err == nil {
			last = v
			if quadrantsMatch(v) {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the spotlight never showed the screen test picture's quadrants %v; it showed %q", screenQuadrantColours, last)
}

func TestScreenTerminalShareInTheBrowserSpotlight(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Theme: "aperitivo", Name: "Screen test"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "testsrc", "--screen", "testsrc")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := joinedBrowser(t, r.Link, "Web")

	b.waitJS("Go's screen in the spotlight", `(() => {
	  const s = document.querySelector('#spotlight');
	  return !s.hidden && s.dataset.kind === 'screen' && document.querySelector('#spot-name').textContent === 'Go' && !document.querySelector('#spot-badge').hidden
	})()`)
	b.waitJS("the sharing badge", `document.querySelector('#spot-badge').textContent.trim() === 'sharing'`)
	waitSpotColours(t, b)

	// Go's camera stays in the grid, beside the screen on this wide window:
	// its tile shows the camera test pattern's red bar, not the screen's teal.
	b.waitJS("Go's camera tile", `(() => { const n = document.querySelector('#grid .tile .name'); return n && n.textContent === 'Go' })()`)
	b.waitJS("the camera in the tile", `(() => { const s = `+redBarJS+`; if (!s) return false; const [r,g,bl] = s.split(',').map(Number); return r > 170 && g < 90 && bl < 90 })()`)
	b.waitJS("the cameras beside the screen", `document.querySelector('#stage').classList.contains('spot-side')`)
	b.waitJS("the tile's sharing mark", `!document.querySelector('#grid .tile .share-state').hidden`)
	b.waitJS("roomsDebug's account", `(() => { const d = window.roomsDebug.screens(); return d.screens.length === 1 && d.spotlight && d.spotlight.name === 'Go' && d.spotlight.kind === 'screen' && !d.sharing })()`)
	if os.Getenv("ROOMS_SCREENSHOTS") != "" {
		b.screenshot("../docs/screenshots/screen-share-1280x800.png")
	}

	// Pinning Go's camera takes the spotlight; [ goes back to the screen.
	b.click("#grid .tile")
	b.waitJS("Go's camera pinned", `document.querySelector('#spotlight').dataset.kind === 'person'`)
	if err := chromedp.Do(b.ctx, chromedp.KeyEvent("[")); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the screen back", `document.querySelector('#spotlight').dataset.kind === 'screen' && window.roomsDebug.state().pinned === null`)
}

func TestScreenShareLimitRefusesTheBrowser(t *testing.T) {
	s := startServerWith(t, "--max-screen-shares", "1")
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "One screen"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "testsrc", "--screen", "testsrc")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := joinedBrowser(t, r.Link, "Web")
	// Go's screen holds the one place before the browser asks.
	b.waitJS("Go's screen", `window.roomsDebug.screens().screens.length === 1`)

	b.waitJS("the share button", shareButtonIs+`('Share screen')`)
	b.click("#share")
	b.waitJS("the refusal naming Go", `[...document.querySelectorAll('#toasts .toast')].some((t) => t.textContent.includes('Screen sharing is full: Go is sharing'))`)
	b.waitJS("the button back to Share screen", shareButtonIs+`('Share screen')`)
	b.waitJS("no indicator", `!window.roomsDebug.state().sharing && document.querySelector('#sharing-pill').hidden`)
	// The call goes on: the terminal decodes the browser's camera, and never
	// got a screen from it.
	goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Web"})
	if evs := goP.events(map[string]any{"type": "track", "kind": "screen", "name": "Web"}); len(evs) != 0 {
		t.Fatalf("the Go participant got the refused screen: %v", evs)
	}
	// Go's screen still fills the browser's spotlight.
	b.waitJS("Go's screen still shown", `(() => { const d = window.roomsDebug.screens(); return d.spotlight && d.spotlight.name === 'Go' && d.spotlight.kind === 'screen' })()`)
}
