//go:build e2e

package e2e

// Simulcast from the browser (docs/protocol.md, "What reaches you"): the
// page sends its camera in up to three sizes (RIDs q, h, f), tells the
// server in its view how large it draws each of the others' videos, and
// the server sends each viewer the smallest layer that fills its tile.
//
// Chromium's fake camera gives the 960x540 the page asks for, so all three
// layers go out: f 960x540, h 480x270, q 240x135 (fewer if the machine is
// too busy: Chromium drops a layer it has no CPU for, and the tests ask
// only for two). Nothing here is timed: each step samples for up to 30 s.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/pkg/api"
)

// sentLayer is one entry of roomsDebug.layers().layers.
type sentLayer struct {
	RID       string  `json:"rid"`
	Active    bool    `json:"active"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	BytesSent float64 `json:"bytesSent"`
	Frames    float64 `json:"framesSent"`
	Limit     string  `json:"limit"`
}

type sentLayers struct {
	Simulcast bool     `json:"simulcast"`
	RIDs      []string `json:"rids"`
	Active    []string `json:"active"`
	Server    *struct {
		Track  string   `json:"track"`
		Active []string `json:"active"`
	} `json:"server"`
	Track *struct {
		ID   string `json:"id"`
		Msid string `json:"msid"`
	} `json:"track"`
	Capture *struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	} `json:"capture"`
	Layers []sentLayer `json:"layers"`
}

func (b *browser) layers() sentLayers {
	b.t.Helper()
	var out sentLayers
	s := b.eval(`(async () => JSON.stringify(await window.roomsDebug.layers()))()`)
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		b.t.Fatalf("layers: %v: %s", err, s)
	}
	return out
}

// recvVideo is one entry of roomsDebug.receivers(): the inbound-rtp of a
// remote track.
type recvVideo struct {
	Track     string  `json:"track"`
	Packets   float64 `json:"packets"`
	Frames    float64 `json:"frames"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	KeyFrames float64 `json:"keyFrames"`
	Freezes   float64 `json:"freezes"`
	FreezeS   float64 `json:"freezeSeconds"`
	PLIs      float64 `json:"plis"`
	FIRs      float64 `json:"firs"`
	Dropped   float64 `json:"dropped"`
}

func (r recvVideo) String() string {
	return fmt.Sprintf("%dx%d framesDecoded=%.0f keyFramesDecoded=%.0f freezeCount=%.0f (%.2f s) pliCount=%.0f firCount=%.0f framesDropped=%.0f packets=%.0f",
		r.Width, r.Height, r.Frames, r.KeyFrames, r.Freezes, r.FreezeS, r.PLIs, r.FIRs, r.Dropped, r.Packets)
}

// receiver reads the inbound-rtp of one remote track, by server track id.
func (b *browser) receiver(id string) recvVideo {
	b.t.Helper()
	s := b.eval(fmt.Sprintf(`(async () => JSON.stringify((await window.roomsDebug.receivers()).find((x) => x.track === %q) || null))()`, id))
	var r *recvVideo
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		b.t.Fatalf("receivers: %v: %s", err, s)
	}
	if r == nil {
		b.t.Fatalf("no receiver for track %s", id)
	}
	return *r
}

type viewSize struct {
	W int `json:"w"`
	H int `json:"h"`
}

type sentView struct {
	Hidden []string            `json:"hidden"`
	Sizes  map[string]viewSize `json:"sizes"`
}

// view is roomsDebug.view(): what the server was last told.
func (b *browser) view() sentView {
	b.t.Helper()
	var v sentView
	s := b.eval(`JSON.stringify(window.roomsDebug.view())`)
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		b.t.Fatalf("view: %v: %s", err, s)
	}
	return v
}

// sample calls f every second for up to 30 s until it says done; the
// last note it gave goes into the failure.
func sample(t *testing.T, what string, f func() (done bool, note string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	note := ""
	for time.Now().Before(deadline) {
		var done bool
		done, note = f()
		if done {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("%s: not so after 30 s; last: %s", what, note)
}

// videoTrackOf waits for a participant's camera track in a page and
// returns its server id.
func (b *browser) videoTrackOf(name string) string {
	b.t.Helper()
	b.waitJS(name+"'s video track", fmt.Sprintf(`window.roomsDebug.participants().some((p) => p.name === %q && p.tracks.some((t) => t.kind === 'video'))`, name))
	return b.eval(fmt.Sprintf(`window.roomsDebug.participants().find((p) => p.name === %q).tracks.find((t) => t.kind === 'video').id`, name))
}

// The browser sends its camera as simulcast: more than one encoding goes
// out, of different sizes, each with its bytes growing.
func TestSimulcastBrowserSendsLayers(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Simulcast"})
	if err != nil {
		t.Fatal(err)
	}
	// Someone to send to: the publish connection runs either way, but a
	// viewer makes it a call (and checks a layer arrives).
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "none", "--audio", "none")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := newBrowser(t, 1280, 800)
	b.open(r.Link + "?autojoin=1&name=Pub&mic=0")
	b.waitJS("the camera sent", `window.roomsDebug.stats().framesSent > 10`)
	first := b.layers()
	t.Logf("camera %+v, encodings %v", first.Capture, first.RIDs)
	if !first.Simulcast || len(first.RIDs) != 3 {
		t.Fatalf("the camera goes out with encodings %v, want q, h, f", first.RIDs)
	}
	bytes := map[string]float64{}
	for _, l := range first.Layers {
		bytes[l.RID] = l.BytesSent
	}
	var last sentLayers
	sample(t, "two or more layers of different sizes sending", func() (bool, string) {
		last = b.layers()
		growing := map[int]string{} // width → rid
		for _, l := range last.Layers {
			if l.Width > 0 && l.BytesSent > bytes[l.RID] {
				growing[l.Width] = l.RID
			}
			bytes[l.RID] = l.BytesSent
		}
		return len(growing) >= 2, fmt.Sprintf("%+v", last.Layers)
	})
	for _, l := range last.Layers {
		t.Logf("layer %s: %dx%d, %.0f bytes, %.0f frames sent, quality limit %q", l.RID, l.Width, l.Height, l.BytesSent, l.Frames, l.Limit)
	}
	// The terminal decodes what it is sent of it.
	goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Pub"})
}

// Two viewers of one simulcast camera: the one that draws it large gets a
// larger layer than the one that draws it small; when the small one's
// tile grows, its picture grows and keeps decoding. The view carries the
// sizes.
func TestSimulcastViewersGetTheSizeTheyShow(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Simulcast"})
	if err != nil {
		t.Fatal(err)
	}
	pub := newBrowser(t, 1280, 800)
	pub.open(r.Link + "?autojoin=1&name=Pub&mic=0")
	pub.waitJS("the camera sent", `window.roomsDebug.stats().framesSent > 10`)
	big := newBrowser(t, 1280, 800)
	big.open(r.Link + "?autojoin=1&name=Big&camera=0&mic=0")
	small := newBrowser(t, 480, 360)
	small.open(r.Link + "?autojoin=1&name=Small&camera=0&mic=0")
	id := big.videoTrackOf("Pub")
	if got := small.videoTrackOf("Pub"); got != id {
		t.Fatalf("the viewers name Pub's camera %s and %s", id, got)
	}

	// The views carry the tiles' sizes, in device pixels rounded up to 16.
	for _, v := range []*browser{big, small} {
		v.waitJS("Pub's picture in its tile", `window.roomsDebug.participants().some((p) => p.name === 'Pub' && p.hasVideo)`)
		tile := v.eval(`(() => { const t = [...document.querySelectorAll('#grid .tile')].find((e) => e.querySelector('.name').textContent === 'Pub'); const v = t.querySelector('video'); const d = window.devicePixelRatio || 1; return Math.ceil(v.clientWidth * d / 16) * 16 + 'x' + Math.ceil(v.clientHeight * d / 16) * 16 })()`)
		sample(t, "the view sizing Pub's camera as its tile", func() (bool, string) {
			vw := v.view()
			sz, ok := vw.Sizes[id]
			return ok && fmt.Sprintf("%dx%d", sz.W, sz.H) == tile && len(vw.Hidden) == 0, fmt.Sprintf("view %+v, tile %s", vw, tile)
		})
	}
	bigSize, smallSize := big.view().Sizes[id], small.view().Sizes[id]
	t.Logf("tile sizes in the views: big %dx%d, small %dx%d", bigSize.W, bigSize.H, smallSize.W, smallSize.H)
	if bigSize.W <= smallSize.W || smallSize.W < 64 || bigSize.W > 1280 {
		t.Fatalf("implausible sizes: big %+v, small %+v", bigSize, smallSize)
	}

	// The big viewer decodes a wider picture than the small one.
	var rb, rs recvVideo
	sample(t, "the big viewer decoding a wider picture than the small one", func() (bool, string) {
		rb, rs = big.receiver(id), small.receiver(id)
		return rs.Width > 0 && rb.Width > rs.Width && rs.Frames > 0, fmt.Sprintf("big %s; small %s", rb, rs)
	})
	t.Logf("big viewer (tile %dx%d): %s", bigSize.W, bigSize.H, rb)
	t.Logf("small viewer (tile %dx%d): %s", smallSize.W, smallSize.H, rs)
	for _, l := range pub.layers().Layers {
		t.Logf("publisher's layer %s: %dx%d, quality limit %q", l.RID, l.Width, l.Height, l.Limit)
	}

	// The small viewer's window grows to the big one's size: so does the
	// tile, the view, and the picture it gets, which keeps decoding.
	before := rs
	if _, err := chromedp.Call(small.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 800, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	sample(t, "the small viewer's view sizing the tile larger", func() (bool, string) {
		sz := small.view().Sizes[id]
		return sz.W > smallSize.W, fmt.Sprintf("%+v", sz)
	})
	grownSize := small.view().Sizes[id]
	var after recvVideo
	sample(t, "the small viewer decoding a wider picture", func() (bool, string) {
		after = small.receiver(id)
		return after.Width > before.Width, fmt.Sprintf("%s; view %+v", after, small.view())
	})
	t.Logf("small viewer, window grown (tile %dx%d): %s", grownSize.W, grownSize.H, after)
	var later recvVideo
	sample(t, "the small viewer still decoding after the switch", func() (bool, string) {
		later = small.receiver(id)
		return later.Frames >= after.Frames+30 && later.Width == after.Width, later.String()
	})
	t.Logf("small viewer, later: %s", later)

	// Pinned, Pub is drawn larger still (the spotlight): the view says so;
	// the largest layer was already coming, and keeps coming.
	small.eval(`(() => { [...document.querySelectorAll('#grid .tile')].find((e) => e.querySelector('.name').textContent === 'Pub').click(); return '' })()`)
	small.waitJS("Pub pinned", `window.roomsDebug.state().pinned && document.querySelector('#spotlight').dataset.kind === 'person'`)
	sample(t, "the small viewer's view sizing the spotlight", func() (bool, string) {
		sz := small.view().Sizes[id]
		return sz.W > grownSize.W && sz.H > grownSize.H, fmt.Sprintf("%+v", sz)
	})
	var pinned recvVideo
	sample(t, "the small viewer decoding, pinned", func() (bool, string) {
		pinned = small.receiver(id)
		return pinned.Width >= later.Width && pinned.Frames >= later.Frames+30, pinned.String()
	})
	t.Logf("small viewer, Pub pinned (spotlight %+v): %s", small.view().Sizes[id], pinned)
	if os.Getenv("ROOMS_SCREENSHOTS") != "" {
		small.screenshot("/tmp/simulcast-small-pinned.png")
		big.screenshot("/tmp/simulcast-big.png")
	}
	later = pinned

	// And back: unpinned, the window small again, the picture narrower,
	// still decoding.
	small.click("#spotlight")
	small.waitJS("Pub unpinned", `!window.roomsDebug.state().pinned`)
	if _, err := chromedp.Call(small.ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	var back recvVideo
	sample(t, "the small viewer decoding a narrower picture again", func() (bool, string) {
		back = small.receiver(id)
		return back.Width < later.Width && back.Frames > later.Frames, back.String()
	})
	sample(t, "the small viewer decoding after switching down", func() (bool, string) {
		r := small.receiver(id)
		return r.Frames >= back.Frames+30, r.String()
	})
	t.Logf("small viewer, unpinned and small again (tile %+v): %s", small.view().Sizes[id], small.receiver(id))
}

// A browser that refuses simulcast (addTransceiver throws on several
// encodings, as some do) still sends its camera, as one encoding.
func TestSimulcastRefusedFallsBackToOneEncoding(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Simulcast"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startPeerWith(t, s, r.ID, "--name", "Go", "--video", "none", "--audio", "none")
	goP.waitEvent(t, map[string]any{"type": "joined"})
	b := newBrowser(t, 800, 600)
	refuse := `(() => {
	  const add = RTCPeerConnection.prototype.addTransceiver;
	  RTCPeerConnection.prototype.addTransceiver = function (what, init) {
	    if (init && init.sendEncodings && init.sendEncodings.length > 1) throw new DOMException('no simulcast here', 'OperationError');
	    return add.call(this, what, init);
	  };
	})()`
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: refuse}); err != nil {
		t.Fatal(err)
	}
	b.open(r.Link + "?autojoin=1&name=Pub&mic=0")
	b.waitJS("the camera sent", `window.roomsDebug.stats().framesSent > 10`)
	l := b.layers()
	if l.Simulcast || len(l.RIDs) != 1 {
		t.Fatalf("the camera goes out with encodings %v, want one", l.RIDs)
	}
	b.waitJS("the refusal noted", `window.roomsDebug.log().some((e) => e.what === 'simulcast refused')`)
	goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Pub"})
	t.Logf("one encoding: %+v", l.Layers)
}

// layer is the entry of one RID, or a zero one.
func (l sentLayers) layer(rid string) sentLayer {
	for _, x := range l.Layers {
		if x.RID == rid {
			return x
		}
	}
	return sentLayer{RID: rid}
}

// The server tells the publisher which layers somebody receives (layers),
// and the page stops encoding the rest: with one viewer drawing the camera
// small, only q goes out and h and f stop sending; when that viewer draws
// it large, f is turned on again, sends, and the viewer decodes the large
// picture on.
func TestSimulcastUnneededLayersSuspended(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Simulcast"})
	if err != nil {
		t.Fatal(err)
	}
	pub := newBrowser(t, 1280, 800)
	pub.open(r.Link + "?autojoin=1&name=Pub&mic=0")
	pub.waitJS("the camera sent", `window.roomsDebug.stats().framesSent > 10`)
	if l := pub.layers(); !l.Simulcast || len(l.RIDs) != 3 {
		t.Fatalf("the camera goes out with encodings %v, want q, h, f", l.RIDs)
	}
	viewer := newBrowser(t, 1280, 800)
	// A small window: Pub's tile is smaller than the q layer.
	if _, err := chromedp.Call(viewer.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 320, Height: 240, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	viewer.open(r.Link + "?autojoin=1&name=Viewer&camera=0&mic=0")
	id := viewer.videoTrackOf("Pub")
	viewer.waitJS("Pub's picture in its tile", `window.roomsDebug.participants().some((p) => p.name === 'Pub' && p.hasVideo)`)
	sample(t, "the view sizing Pub's camera", func() (bool, string) {
		vw := viewer.view()
		_, ok := vw.Sizes[id]
		return ok, fmt.Sprintf("%+v", vw)
	})
	small := viewer.view().Sizes[id]

	// Only q is received: the server says so, and the page turns h and f
	// off.
	var l sentLayers
	sample(t, "only q on", func() (bool, string) {
		l = pub.layers()
		return l.Server != nil && fmt.Sprint(l.Server.Active) == "[q]" && fmt.Sprint(l.Active) == "[q]", fmt.Sprintf("active %v, server %+v", l.Active, l.Server)
	})
	if l.Track == nil || l.Server.Track != l.Track.Msid {
		t.Fatalf("layers names track %q, the camera is %+v", l.Server.Track, l.Track)
	}
	t.Logf("layers for %q (camera track id %q, msid %q): %v; encodings on: %v", l.Server.Track, l.Track.ID, l.Track.Msid, l.Server.Active, l.Active)
	var rs recvVideo
	sample(t, "the viewer decoding Pub's camera", func() (bool, string) {
		rs = viewer.receiver(id)
		return rs.Frames > 0 && rs.Width > 0, rs.String()
	})
	t.Logf("viewer (tile %dx%d): %s", small.W, small.H, rs)

	// h and f stop sending; q goes on.
	prev, prevAt := pub.layers(), time.Now()
	var stopped sentLayers
	var stoppedFor time.Duration
	sample(t, "h and f not sending, q sending", func() (bool, string) {
		cur, at := pub.layers(), time.Now()
		still := cur.layer("h").BytesSent == prev.layer("h").BytesSent && cur.layer("f").BytesSent == prev.layer("f").BytesSent
		qOn := cur.layer("q").BytesSent > prev.layer("q").BytesSent
		note := fmt.Sprintf("%+v", cur.Layers)
		if still && qOn {
			stopped, stoppedFor = cur, at.Sub(prevAt)
			return true, note
		}
		prev, prevAt = cur, at
		return false, note
	})
	rate := func(a, b sentLayers, rid string, d time.Duration) float64 {
		return (b.layer(rid).BytesSent - a.layer(rid).BytesSent) / d.Seconds()
	}
	t.Logf("suspended, over %.1f s: q %.0f B/s, h %.0f B/s, f %.0f B/s", stoppedFor.Seconds(),
		rate(prev, stopped, "q", stoppedFor), rate(prev, stopped, "h", stoppedFor), rate(prev, stopped, "f", stoppedFor))
	for _, x := range stopped.Layers {
		t.Logf("layer %s: active %v, %dx%d, %.0f bytes, %.0f frames sent", x.RID, x.Active, x.Width, x.Height, x.BytesSent, x.Frames)
	}
	fWidth := stopped.layer("f").Width
	if fWidth == 0 {
		fWidth = 960
	}

	// The viewer's window grows: Pub's tile is drawn large, f is wanted,
	// turned on and sent again, and the viewer decodes it.
	if _, err := chromedp.Call(viewer.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: 800, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	sample(t, "the viewer's view sizing the tile larger", func() (bool, string) {
		sz := viewer.view().Sizes[id]
		return sz.W > small.W, fmt.Sprintf("%+v", sz)
	})
	large := viewer.view().Sizes[id]
	t.Logf("viewer's tile now %dx%d", large.W, large.H)
	if large.W*9 <= fWidth*5 { // h (half of f) would fill it: make it the spotlight
		viewer.eval(`(() => { [...document.querySelectorAll('#grid .tile')].find((e) => e.querySelector('.name').textContent === 'Pub').click(); return '' })()`)
		viewer.waitJS("Pub pinned", `window.roomsDebug.state().pinned && document.querySelector('#spotlight').dataset.kind === 'person'`)
		sample(t, "the viewer's view sizing the spotlight", func() (bool, string) {
			sz := viewer.view().Sizes[id]
			return sz.W > large.W, fmt.Sprintf("%+v", sz)
		})
		large = viewer.view().Sizes[id]
		t.Logf("viewer's spotlight %dx%d", large.W, large.H)
	}
	before := stopped
	sample(t, "f on and sending again", func() (bool, string) {
		cur := pub.layers()
		on := false
		for _, a := range cur.Active {
			on = on || a == "f"
		}
		return on && cur.layer("f").BytesSent > before.layer("f").BytesSent && cur.layer("f").Width > 0, fmt.Sprintf("active %v, server %+v, %+v", cur.Active, cur.Server, cur.Layers)
	})
	var after recvVideo
	sample(t, "the viewer decoding the large picture", func() (bool, string) {
		after = viewer.receiver(id)
		return after.Width >= fWidth*9/10 && after.Width > rs.Width, fmt.Sprintf("%s; f is %d wide", after, fWidth)
	})
	t.Logf("viewer, drawn large (%dx%d): %s", large.W, large.H, after)
	var later recvVideo
	sample(t, "the viewer still decoding the large picture", func() (bool, string) {
		later = viewer.receiver(id)
		return later.Frames >= after.Frames+30 && later.Width == after.Width, later.String()
	})
	t.Logf("viewer, later: %s", later)
	a, aAt := pub.layers(), time.Now()
	time.Sleep(2 * time.Second)
	b, bAt := pub.layers(), time.Now()
	d := bAt.Sub(aAt)
	t.Logf("f on again, over %.1f s: q %.0f B/s, h %.0f B/s, f %.0f B/s; encodings on %v, server %+v", d.Seconds(),
		rate(a, b, "q", d), rate(a, b, "h", d), rate(a, b, "f", d), b.Active, b.Server)
	for _, e := range pub.layersLog() {
		t.Logf("publisher log: %s", e)
	}
}

// layersLog gives the notes the page made of the layers it turned on and off.
func (b *browser) layersLog() []string {
	b.t.Helper()
	var out []string
	s := b.eval(`JSON.stringify(window.roomsDebug.log().filter((e) => e.what === 'layers').map((e) => e.t + ' ms: ' + e.err))`)
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		b.t.Fatalf("log: %v: %s", err, s)
	}
	return out
}
