//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCutAndBack: Chromium on a lab host of its own (started in
// its namespace through a wrapper; chromedp talks to it over a pipe, which
// a cut does not touch) in a call with a Go publisher. Its link is cut for
// 20 s: the page shows the reconnecting banner during the cut (its ICE
// went quiet, and its WebSocket heartbeat finds the connection dead), and
// after the link's return it is back in the call by itself, decoding the
// publisher's video again, and the publisher's last word on it is that it
// is in the call.
func TestBrowserCutAndBack(t *testing.T) {
	chromium := chromiumPath(t)
	lab := newLab(t)
	srv, web := lab.Host("server"), lab.Host("web")
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	const token = "bcut-create-token-0123456789abcdef"
	server := "http://" + srv.IP + ":7880"
	env := []string{"ROOMS_SERVER=" + server, "ROOMS_CREATE_TOKEN=" + token}
	_, srvLog := srv.Start(ctx, "roomsd", nil, "serve", "--listen", srv.IP+":7880", "--udp-port", "7882",
		"--data-dir", filepath.Join(lab.dir, "data"), "--create-token", token)
	var room struct{ ID, Link string }
	for i := 0; ; i++ {
		out, err := srv.Run(ctx, "rooms", env, "create", "--json", "--max", "3")
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create: %v\n%s\nroomsd:\n%s", err, out, snapshot(srvLog))
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, pubOut := srv.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", "150s")

	wrapper := filepath.Join(t.TempDir(), "chromium-in-"+web.Name)
	script := fmt.Sprintf("#!/bin/sh\nexec ip netns exec %s %s \"$@\"\n", web.NS, chromium)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 800, 600, chromedp.ExecPath(wrapper),
		// The lab has no TLS: let the page have its camera over http.
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", server))
	b.open(room.Link + "?autojoin=1&name=Web&mic=0")
	b.waitJS("the call", joinedJS)
	b.waitJS("the publisher's video", `window.roomsDebug.stats().framesDecoded > 10`)

	web.Cut(true)
	b.waitJS("the reconnecting banner during the cut", `window.roomsDebug.state().phase === 'reconnecting' && !document.querySelector('#banner').hidden && /Reconnecting/.test(document.querySelector('#banner').textContent)`)
	time.Sleep(20 * time.Second)
	web.Cut(false)
	back := time.Now()
	b.waitJS("the call again after the link's return", joinedJS+` && document.querySelector('#banner').hidden`)
	again := time.Since(back)
	frames := func() int {
		n, _ := strconv.Atoi(b.eval(`String(window.roomsDebug.stats().framesDecoded)`))
		return n
	}
	b.waitJS("video decoded after the link's return", `window.roomsDebug.stats().framesDecoded > 0`)
	// Frames decoded go up while the page stays in the call (a count
	// that starts again comes from a rejoin's new connection: look again).
	for i := 0; ; i++ {
		f1 := frames()
		time.Sleep(2 * time.Second)
		f2 := frames()
		if f2 > f1 && b.eval(`window.roomsDebug.state().phase`) == "joined" {
			break
		}
		if i == 10 {
			t.Fatalf("the page decoded no more frames after its return (%d, then %d): %s", f1, f2, b.eval(`JSON.stringify(window.roomsDebug.state())`))
		}
	}
	state := b.eval(`JSON.stringify(window.roomsDebug.state())`)
	waitForOutput(t, ctx, "the publisher sees the page in the call", pubOut, func(out []byte) bool {
		in, _, _ := viewerInNamed(out, "Web")
		return in
	})
	re := regexp.MustCompile(`"reconnects":(\d+)`)
	t.Logf("the page was in the call again %.1f s after the link's return (within the poll's 200 ms), frames decoding (reconnects: %v)", again.Seconds(), re.FindStringSubmatch(state))
}
