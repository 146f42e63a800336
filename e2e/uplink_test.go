//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// uplinkStats is a `stats` line's "uplink" (rooms join --headless --json
// of a publisher that adapts its encoders).
type uplinkStats struct {
	Uplink *struct {
		SentKbps     int                       `json:"sent_kbps"`
		EstimateKbps int                       `json:"estimate_kbps"`
		Layers       map[string]map[string]int `json:"layers_kbps"`
	}
}

// queueDrops reads what the host's egress queue (the tbf Rate sets)
// dropped and sent so far, in packets.
func queueDrops(h *labHost) (dropped, sent int64) {
	h.lab.t.Helper()
	out := h.lab.sh("ip", "netns", "exec", h.NS, "tc", "-s", "qdisc", "show", "dev", h.ifc)
	m := regexp.MustCompile(`Sent \d+ bytes (\d+) pkt \(dropped (\d+)`).FindStringSubmatch(out)
	if m == nil {
		h.lab.t.Fatalf("%s's queue: no counters in %q", h.Name, out)
	}
	sent, _ = strconv.ParseInt(m[1], 10, 64)
	dropped, _ = strconv.ParseInt(m[2], 10, 64)
	return dropped, sent
}

// TestPublisherOn300KbitUplink: a `rooms join --headless` publisher
// (simulcast camera, 80 + 200 + 500 kbit/s, and a voice; the busy test
// pattern, on which the encoders spend what they are given as on a
// camera's picture, where the flat one costs about 120) whose uplink is
// a 300 kbit/s tbf with a 200 ms queue, in a call with two viewers. From
// roomsd's transport-cc feedback it estimates its uplink and stops the
// layers that do not fit: over the last 15 s of a minute the viewers
// keep receiving its video and its audio without long gaps, what it sent
// fits the link, and its queue drops next to nothing. Without the
// estimate it sends about 800 kbit/s into the 300 kbit/s link and the
// queue drops most of it.
func TestPublisherOn300KbitUplink(t *testing.T) {
	lab := newLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	_, env, room, srvOut := impairedCall(t, ctx, lab, "6")
	narrow, v1, v2 := lab.Host("narrow"), lab.Host("viewer1"), lab.Host("viewer2")
	narrow.Rate(300, 20000)
	const hold = "65s"
	_, pubOut := narrow.Start(ctx, "rooms", env, "join", room, "--headless", "--json", "--name", "narrow", "--video", "testsrc-busy", "--audio", "testsrc", "--decode=false", "--duration", hold)
	var viewers []*bytes.Buffer
	for i, h := range []*labHost{v1, v2} {
		_, out := h.Start(ctx, "rooms", env, "join", room, "--headless", "--json", "--name", "viewer"+strconv.Itoa(i+1), "--decode=false", "--duration", hold)
		viewers = append(viewers, out)
	}
	defer func() {
		if t.Failed() {
			t.Logf("publisher:\n%s\nviewer1:\n%s\nviewer2:\n%s\nroomsd:\n%s", snapshot(pubOut), snapshot(viewers[0]), snapshot(viewers[1]), snapshot(srvOut))
		}
	}()

	// The judged 15 s: the publisher's 8th to 11th stats lines (35 to 55 s).
	waitStats(t, ctx, "the publisher's stats", pubOut, 8)
	drop1, sent1 := queueDrops(narrow)
	pubLines := waitStats(t, ctx, "the publisher's stats", pubOut, 11)
	drop2, sent2 := queueDrops(narrow)
	drops, sent := drop2-drop1, sent2-sent1

	for i, out := range viewers {
		lines := waitStats(t, ctx, "a viewer's stats", out, 11)
		w := window(lines, len(lines)-4)
		video, audio := w["narrow/video"], w["narrow/audio"]
		if video == nil || audio == nil {
			t.Errorf("viewer%d received no video or no audio from the narrow publisher: %v", i+1, w)
			continue
		}
		// The test pattern is 15 frames a second: 225 in 15 s (76, with
		// 3 freezes, when the publisher did not slow down).
		if video.frames < 120 {
			t.Errorf("viewer%d received %d frames of the narrow publisher's video in 15 s (%d freezes, longest gap %d ms): it froze", i+1, video.frames, video.freezes, video.maxGapMS)
		}
		// 20 ms frames: 750 in 15 s.
		if audio.frames < 500 || audio.maxGapMS > 1500 {
			t.Errorf("viewer%d received %d audio frames from the narrow publisher in 15 s, longest gap %d ms: its voice broke up", i+1, audio.frames, audio.maxGapMS)
		}
		t.Logf("viewer%d, last 15 s: %d video frames at %d px wide (%d freezes, longest gap %d ms), %d audio frames (longest gap %d ms)",
			i+1, video.frames, video.width, video.freezes, video.maxGapMS, audio.frames, audio.maxGapMS)
	}

	if sent == 0 || drops*100 > sent*5 {
		t.Errorf("the narrow uplink's queue dropped %d packets and sent %d in 15 s: over 5 %% lost, the publisher did not slow down", drops, sent)
	}
	ups := headlessLines[uplinkStats](snapshot(pubOut), "stats")
	var kbps, est int
	var last uplinkStats
	n := 0
	for _, u := range ups[len(pubLines)-3 : len(pubLines)] {
		if u.Uplink != nil {
			kbps += u.Uplink.SentKbps
			est = u.Uplink.EstimateKbps
			last = u
			n++
		}
	}
	if n == 0 {
		t.Fatalf("the publisher's stats say nothing of its uplink: it does not estimate it")
	}
	kbps /= n
	if kbps > 300 {
		t.Errorf("the publisher sent %d kbit/s over its last 15 s: more than its 300 kbit/s link carries", kbps)
	}
	t.Logf("publisher, last 15 s: sent %d kbit/s (RTP), estimate %d kbit/s, layers %v; its queue sent %d packets and dropped %d",
		kbps, est, last.Uplink.Layers, sent, drops)
	var course []string
	for _, u := range ups {
		if u.Uplink != nil {
			course = append(course, fmt.Sprintf("%d/%d %v", u.Uplink.SentKbps, u.Uplink.EstimateKbps, u.Uplink.Layers["video"]))
		}
	}
	t.Logf("publisher every 5 s, sent/estimate kbit/s and layers: %s", strings.Join(course, "; "))
}

// TestBrowserOn300KbitUplink: Chromium (the page, fake camera and
// microphone, simulcast) on a lab host whose uplink is a 300 kbit/s tbf,
// in a call with two Go viewers. Its encoder is Chrome's, slowed by its
// own congestion control from roomsd's transport-cc feedback on the
// publish connection (TestPublishersGetTransportFeedback in
// internal/sfu): over 15 s, a minute in, what it sent fits the link and
// the viewers keep receiving its video.
func TestBrowserOn300KbitUplink(t *testing.T) {
	chromium := chromiumPath(t)
	lab := newLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	srv, env, room, srvOut := impairedCall(t, ctx, lab, "6")
	web, v1, v2 := lab.Host("web"), lab.Host("viewer1"), lab.Host("viewer2")
	web.Rate(300, 20000)
	const hold = "100s"
	var viewers []*bytes.Buffer
	for i, h := range []*labHost{v1, v2} {
		_, out := h.Start(ctx, "rooms", env, "join", room, "--headless", "--json", "--name", "viewer"+strconv.Itoa(i+1), "--decode=false", "--duration", hold)
		viewers = append(viewers, out)
	}
	defer func() {
		if t.Failed() {
			t.Logf("viewer1:\n%s\nviewer2:\n%s\nroomsd:\n%s", snapshot(viewers[0]), snapshot(viewers[1]), snapshot(srvOut))
		}
	}()
	server := "http://" + srv.IP + ":7880"
	wrapper := filepath.Join(t.TempDir(), "chromium-in-"+web.Name)
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", web.NS, chromium)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 800, 600, chromedp.ExecPath(wrapper),
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", server))
	b.open(server + "/r/" + room + "?autojoin=1&name=Web")
	b.waitJS("the call", joinedJS)

	sentBytes := func() int64 {
		n, _ := strconv.ParseInt(b.eval(`String(window.roomsDebug.stats().bytesSent)`), 10, 64)
		return n
	}
	// A minute in: 12 stats lines at the first viewer.
	waitStats(t, ctx, "a viewer's stats", viewers[0], 9)
	drop1, sent1 := queueDrops(web)
	bytes1, at1 := sentBytes(), time.Now()
	waitStats(t, ctx, "a viewer's stats", viewers[0], 12)
	drop2, sent2 := queueDrops(web)
	bytes2, at2 := sentBytes(), time.Now()
	kbps := float64(bytes2-bytes1) * 8 / at2.Sub(at1).Seconds() / 1000
	layers := b.eval(`window.roomsDebug.layers().then((l) => JSON.stringify(l.layers.map((e) => ({rid: e.rid, active: e.active, width: e.width, limit: e.limit}))))`)

	for i, out := range viewers {
		ls := waitStats(t, ctx, "a viewer's stats", out, 12)
		w := window(ls, len(ls)-4)
		video := w["Web/video"]
		if video == nil || video.frames < 60 {
			t.Errorf("viewer%d received %+v of the page's video in 15 s: it froze", i+1, video)
			continue
		}
		t.Logf("viewer%d, last 15 s: %d frames of the page's video at %d px wide (%d freezes, longest gap %d ms)",
			i+1, video.frames, video.width, video.freezes, video.maxGapMS)
	}
	if kbps > 300 {
		t.Errorf("the page sent %.0f kbit/s (RTP payload and headers) over 15 s: more than its 300 kbit/s link carries", kbps)
	}
	drops, sent := drop2-drop1, sent2-sent1
	if sent == 0 || drops*100 > sent*5 {
		t.Errorf("the page's uplink queue dropped %d packets and sent %d in 15 s: over 5 %% lost", drops, sent)
	}
	t.Logf("the page, 15 s a minute in: sent %.0f kbit/s, layers %s; its queue sent %d packets and dropped %d", kbps, layers, sent, drops)
}
