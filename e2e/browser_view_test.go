//go:build e2e

package e2e

// The browser's view (docs/protocol.md, "What reaches you"): a page that
// does not show a video tells the server, which stops sending it, and
// sends it again as soon as the page shows it.
//
// The page is hidden for real, as a background tab is: Target.createTarget
// opens a second tab in the same window, which makes the room's tab
// document.visibilityState === 'hidden' (with a visibilitychange event) in
// headless=new chromium; Page.bringToFront on the room's tab makes it
// visible again. No test hook in the page is needed.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/pkg/api"
)

// forwardedPackets reads rooms_sfu_forwarded_packets_total from /metrics.
func forwardedPackets(t *testing.T, s *server) float64 {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rooms_sfu_forwarded_packets_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metrics: %q: %v", sc.Text(), err)
			}
			return f
		}
	}
	t.Fatal("metrics: no rooms_sfu_forwarded_packets_total")
	return 0
}

// waitCounter samples a counter until two samples a little apart are equal
// (still) or differ (growing), for up to 30 s. It asserts nothing about
// how long that takes.
func waitCounter(t *testing.T, what string, still bool, sample func() float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var seen []float64
	prev := sample()
	for time.Now().Before(deadline) {
		time.Sleep(1500 * time.Millisecond)
		cur := sample()
		seen = append(seen, cur)
		if (cur == prev) == still {
			return
		}
		prev = cur
	}
	state := "stop"
	if !still {
		state = "grow"
	}
	t.Fatalf("%s did not %s in 30 s; samples: %v", what, state, seen)
}

func TestViewBrowserHiddenPageStopsVideo(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "View test"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "testsrc", "--audio", "none")
	goP.waitEvent(t, map[string]any{"type": "joined"})

	// The browser sends nothing, so the server forwards only Go's video,
	// to it: /metrics' forwarded packets are that video's.
	b := newBrowser(t, 1280, 800)
	b.open(r.Link + "?autojoin=1&name=Web&camera=0&mic=0")
	b.waitJS("Go's tile", `document.querySelector('#grid .tile .name') && document.querySelector('#grid .tile .name').textContent === 'Go'`)
	b.waitJS("decoded video frames", `window.roomsDebug.stats().framesDecoded > 10`)
	b.waitJS("Go's video track", `window.roomsDebug.participants().some((p) => p.name === 'Go' && p.tracks.some((t) => t.kind === 'video'))`)
	id := b.eval(`window.roomsDebug.participants().find((p) => p.name === 'Go').tracks.find((t) => t.kind === 'video').id`)
	if b.eval(`JSON.stringify(window.roomsDebug.hidden())`) != "[]" {
		t.Fatalf("the page hides %s while it shows the tile", b.eval(`JSON.stringify(window.roomsDebug.hidden())`))
	}
	// packets is the inbound-rtp packetsReceived of Go's video in the browser.
	packets := receiverPackets(t, b, id)
	waitCounter(t, "Go's video packets (shown)", false, packets)

	// A second tab in front: the room's tab is hidden, as in the background.
	tab, err := chromedp.CallBrowser(b.ctx, target.CreateTarget, target.CreateTargetParams{URL: "about:blank"})
	if err != nil {
		t.Fatal(err)
	}
	b.waitJS("the page hidden", `document.visibilityState === 'hidden'`)
	b.waitJS("the view hiding Go's video", fmt.Sprintf(`JSON.stringify(window.roomsDebug.hidden()) === JSON.stringify([%q])`, id))
	// The server stops sending it: the browser receives no more of its
	// packets, and the server forwards none.
	waitCounter(t, "Go's video packets in the browser (hidden)", true, packets)
	waitCounter(t, "the server's forwarded packets (hidden)", true, func() float64 { return forwardedPackets(t, s) })

	// The room's tab in front again: the view empties and the picture comes back.
	if _, err := chromedp.Call(b.ctx, page.BringToFront, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the page visible", `document.visibilityState === 'visible'`)
	b.waitJS("the view showing everything", `window.roomsDebug.hidden().length === 0`)
	waitCounter(t, "Go's video packets in the browser (shown again)", false, packets)
	frames := b.eval(`String(window.roomsDebug.stats().framesDecoded)`)
	b.waitJS("frames decoded again", `window.roomsDebug.stats().framesDecoded > `+frames+` + 10`)
	if _, err := chromedp.CallBrowser(b.ctx, target.CloseTarget, target.CloseTargetParams(tab)); err != nil {
		t.Fatal(err)
	}
}

// receiverPackets is a function giving the inbound-rtp packetsReceived of
// one of the browser's remote tracks, by server track id.
func receiverPackets(t *testing.T, b *browser, id string) func() float64 {
	return func() float64 {
		t.Helper()
		v := b.eval(fmt.Sprintf(`(async () => {
		  const r = (await window.roomsDebug.receivers()).find((x) => x.track === %q);
		  return r ? String(r.packets) : '-1';
		})()`, id))
		f, _ := strconv.ParseFloat(v, 64)
		if f < 0 {
			t.Fatalf("no receiver for track %s", id)
		}
		return f
	}
}

// hiddenIs is a JavaScript test that roomsDebug.hidden() is exactly ids.
func hiddenIs(ids ...string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return `JSON.stringify(window.roomsDebug.hidden()) === JSON.stringify([` + strings.Join(q, ",") + `])`
}

// In a visible page: a screen out of the spotlight is hidden, and so is a
// camera whose tile is not rendered; both come back when shown.
func TestViewBrowserSpotlightAndTiles(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "View test"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "testsrc", "--audio", "none", "--screen", "testsrc")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := newBrowser(t, 1280, 800)
	b.open(r.Link + "?autojoin=1&name=Web&camera=0&mic=0")
	b.waitJS("Go's screen in the spotlight", `(() => { const d = window.roomsDebug.screens(); return d.spotlight && d.spotlight.kind === 'screen' && d.spotlight.videoWidth > 0 })()`)
	b.waitJS("Go's camera in its tile", `window.roomsDebug.participants().some((p) => p.name === 'Go' && p.hasVideo)`)
	screen := b.eval(`window.roomsDebug.screens().screens[0].id`)
	camera := b.eval(`window.roomsDebug.participants().find((p) => p.name === 'Go').tracks.find((t) => t.kind === 'video').id`)
	b.waitJS("nothing hidden", hiddenIs())

	// Pinning Go's camera takes the screen out of the spotlight.
	b.click("#grid .tile")
	b.waitJS("Go's camera pinned", `document.querySelector('#spotlight').dataset.kind === 'person'`)
	b.waitJS("the view hiding the screen", hiddenIs(screen))
	waitCounter(t, "the screen's packets (out of the spotlight)", true, receiverPackets(t, b, screen))
	// [ brings the screen back, and it comes again.
	if err := chromedp.Do(b.ctx, chromedp.KeyEvent("[")); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the screen back in the spotlight", `document.querySelector('#spotlight').dataset.kind === 'screen'`)
	b.waitJS("the view showing everything", hiddenIs())
	waitCounter(t, "the screen's packets (back in the spotlight)", false, receiverPackets(t, b, screen))

	// A tile not rendered (the grid out of the layout): its camera is hidden.
	b.eval(`(() => { document.querySelector('#grid').style.display = 'none'; return '' })()`)
	b.waitJS("the view hiding the camera", hiddenIs(camera))
	waitCounter(t, "the camera's packets (tile not rendered)", true, receiverPackets(t, b, camera))
	b.eval(`(() => { document.querySelector('#grid').style.display = ''; return '' })()`)
	b.waitJS("the view showing everything again", hiddenIs())
	waitCounter(t, "the camera's packets (tile rendered again)", false, receiverPackets(t, b, camera))
}
