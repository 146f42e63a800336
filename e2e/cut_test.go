//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// A cut test: roomsd and a publisher on one lab host, a headless viewer on
// another whose link the test cuts (or whose UDP it blocks) for a while,
// then gives back. Each asserts what the clients received after: the
// viewer's frames of the publisher's video, its participant id, and what
// the publisher was told about the viewer.
type cutCall struct {
	t         *testing.T
	ctx       context.Context
	srv, view *labHost
	pubOut    *bytes.Buffer
	viewOut   *bytes.Buffer
	viewerID  string
	mediaPort string
}

func newCutCall(t *testing.T, ctx context.Context, duration time.Duration) *cutCall {
	t.Helper()
	lab := newLab(t)
	c := &cutCall{t: t, ctx: ctx, srv: lab.Host("server"), view: lab.Host("viewer"), mediaPort: "7882"}
	const token = "cut-create-token-0123456789abcdef"
	server := "http://" + c.srv.IP + ":7880"
	env := []string{"ROOMS_SERVER=" + server, "ROOMS_CREATE_TOKEN=" + token}
	srvOut := func() *bytes.Buffer {
		_, out := c.srv.Start(ctx, "roomsd", nil, "serve", "--listen", c.srv.IP+":7880", "--udp-port", c.mediaPort,
			"--data-dir", filepath.Join(lab.dir, "data"), "--create-token", token)
		return out
	}()
	var room struct{ ID string }
	for i := 0; ; i++ {
		out, err := c.srv.Run(ctx, "rooms", env, "create", "--json", "--max", "3")
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create: %v\n%s\nroomsd:\n%s", err, out, snapshot(srvOut))
		}
		time.Sleep(100 * time.Millisecond)
	}
	d := fmt.Sprintf("%ds", int(duration.Seconds()))
	_, c.pubOut = c.srv.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", d)
	_, c.viewOut = c.view.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "viewer", "--duration", d)
	firstFrame := regexp.MustCompile(`"kind":"video".*"name":"pub","pattern_ok":true.*"type":"first_frame"`)
	waitForOutput(t, ctx, "the viewer decodes the publisher's test pattern", c.viewOut, func(b []byte) bool { return firstFrame.Match(b) })
	joined := eventsOf(snapshot(c.viewOut), "joined")
	if len(joined) != 1 {
		t.Fatalf("%d joined events before the cut", len(joined))
	}
	c.viewerID, _ = joined[0]["you"].(string)
	waitForOutput(t, ctx, "the publisher sees the viewer", c.pubOut, func(b []byte) bool {
		if len(eventsOf(b, "participant_joined")) > 0 {
			return true
		}
		for _, j := range eventsOf(b, "joined") {
			if ps, _ := j["participants"].([]any); len(ps) > 0 {
				return true
			}
		}
		return false
	})
	return c
}

// labEvent is one line of headless --json output.
type labEvent map[string]any

func (e labEvent) at() time.Time {
	s, _ := e["at"].(string)
	at, _ := time.Parse(time.RFC3339Nano, s)
	return at
}

// eventsOf are the headless --json events of type typ in out, in order.
func eventsOf(out []byte, typ string) []labEvent {
	var evs []labEvent
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e labEvent
		if json.Unmarshal(sc.Bytes(), &e) == nil && e["type"] == typ {
			evs = append(evs, e)
		}
	}
	return evs
}

// videoBackAfter waits for the viewer to decode the publisher's video
// after back (frames resuming after a gap on the same track, or the first
// frame of a new track after a rejoin), and says when.
func (c *cutCall) videoBackAfter(back time.Time) labEvent {
	c.t.Helper()
	var got labEvent
	waitForOutput(c.t, c.ctx, "the viewer decodes the publisher's video after the link's return", c.viewOut, func(b []byte) bool {
		for _, typ := range []string{"media_gap", "first_frame"} {
			for _, e := range eventsOf(b, typ) {
				if e["kind"] == "video" && e["name"] == "pub" && e.at().After(back) && (typ == "media_gap" || e["pattern_ok"] == true) &&
					(got == nil || e.at().Before(got.at())) {
					got = e
				}
			}
		}
		return got != nil
	})
	return got
}

// viewerIn reads the publisher's output: whether its last word on the
// viewer is that it is in the call (no participant_left without a
// participant_joined after), how often it was told the viewer left, and
// how often it came back.
func viewerIn(b []byte) (in bool, left, rejoined int) { return viewerInNamed(b, "viewer") }

// viewerInNamed is viewerIn for the participant called name.
func viewerInNamed(b []byte, name string) (in bool, left, rejoined int) {
	in = true
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e labEvent
		if json.Unmarshal(sc.Bytes(), &e) != nil || e["name"] != name {
			continue
		}
		switch e["type"] {
		case "participant_left":
			in = false
			left++
		case "participant_joined":
			if !in {
				rejoined++
			}
			in = true
		}
	}
	return in, left, rejoined
}

// viewerInCall fails the test unless the publisher's last word on the
// viewer is that it is in the call.
func (c *cutCall) viewerInCall() (left, rejoined int) {
	c.t.Helper()
	b := snapshot(c.pubOut)
	in, left, rejoined := viewerIn(b)
	if !in {
		c.t.Fatalf("the publisher was told the viewer left and not that it came back:\n%s", b)
	}
	return left, rejoined
}

// TestCutTwoSeconds: a 2 s cut of the viewer's link heals without a
// rejoin: the same participant, no second joined, no participant_left at
// the publisher, and the publisher's video decoded again after the link's
// return.
func TestCutTwoSeconds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	c := newCutCall(t, ctx, 80*time.Second)
	c.view.Cut(true)
	time.Sleep(2 * time.Second)
	c.view.Cut(false)
	back := time.Now()
	e := c.videoBackAfter(back)
	if e["type"] != "media_gap" {
		t.Fatalf("the video came back on a new track (%v): the viewer rejoined", e)
	}
	// Let a rejoin that would come show itself.
	time.Sleep(5 * time.Second)
	out := snapshot(c.viewOut)
	if j := eventsOf(out, "joined"); len(j) != 1 {
		t.Fatalf("the viewer joined %d times: a 2 s cut made it rejoin\n%s", len(j), out)
	}
	if left, _ := c.viewerInCall(); left != 0 {
		t.Fatalf("the publisher was told the viewer left over a 2 s cut")
	}
	for _, r := range eventsOf(out, "reconnected") {
		if n, _ := r["restarts"].(float64); n > 0 {
			t.Fatalf("a 2 s cut needed an ICE restart (%v): the connections did not heal by themselves\n%s", r, out)
		}
	}
	t.Logf("2 s cut: video back %d ms after the link's return (gap %v ms); same participant %s, no rejoin",
		e.at().Sub(back).Milliseconds(), e["gap_ms"], c.viewerID)
}

// TestUDPBlockedMidCallRestartsICE: the viewer's UDP is blocked mid-call
// for longer than ICE takes to fail (a network change): the client
// restarts ICE on the same connections, finds roomsd's TCP candidate, and
// the video comes back with no rejoin (reconnected with rejoined false,
// one joined event, same participant).
func TestUDPBlockedMidCallRestartsICE(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	c := newCutCall(t, ctx, 100*time.Second)
	c.view.Nft("add rule inet lab out meta l4proto udp counter drop")
	c.view.Nft("add rule inet lab in meta l4proto udp counter drop")
	blocked := time.Now()
	var rec labEvent
	waitForOutput(t, ctx, "the viewer reconnects", c.viewOut, func(b []byte) bool {
		if r := eventsOf(b, "reconnected"); len(r) > 0 {
			rec = r[0]
			return true
		}
		return false
	})
	e := c.videoBackAfter(rec.at().Add(-time.Second))
	out := snapshot(c.viewOut)
	if rec["rejoined"] != false {
		t.Fatalf("the viewer rejoined rather than restarting ICE: %v\n%s", rec, out)
	}
	if n, _ := rec["restarts"].(float64); n < 1 {
		t.Fatalf("reconnected without an ICE restart: %v\n%s", rec, out)
	}
	if j := eventsOf(out, "joined"); len(j) != 1 {
		t.Fatalf("the viewer joined %d times\n%s", len(j), out)
	}
	if rec["you"] != c.viewerID {
		t.Fatalf("the viewer is %v after the restart, %s before", rec["you"], c.viewerID)
	}
	if left, _ := c.viewerInCall(); left != 0 {
		t.Fatalf("the publisher was told the viewer left")
	}
	if r := eventsOf(out, "reconnecting"); len(r) == 0 {
		t.Fatalf("no reconnecting event before reconnected\n%s", out)
	}
	t.Logf("UDP blocked: reconnected over TCP by an ICE restart %.1f s after the block (%v ms after the interruption was noticed); video back at %.1f s",
		rec.at().Sub(blocked).Seconds(), rec["after_ms"], e.at().Sub(blocked).Seconds())
}

// testLongCut: a cut longer than ICE and the signalling survive: the
// viewer rejoins by itself (same key), decodes the publisher's video after
// the link's return, and the publisher's last word on it is that it is in
// the call (no ghost, no zombie).
func testLongCut(t *testing.T, cut time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), cut+150*time.Second)
	defer cancel()
	c := newCutCall(t, ctx, cut+90*time.Second)
	c.view.Cut(true)
	time.Sleep(cut)
	c.view.Cut(false)
	back := time.Now()
	e := c.videoBackAfter(back)
	var rec labEvent
	waitForOutput(t, ctx, "the viewer says it reconnected", c.viewOut, func(b []byte) bool {
		for _, r := range eventsOf(b, "reconnected") {
			if r.at().After(back) {
				rec = r
				return true
			}
		}
		return false
	})
	// The publisher hears of the viewer's return.
	waitForOutput(t, ctx, "the publisher sees the viewer in the call", c.pubOut, func(b []byte) bool {
		in, _, _ := viewerIn(b)
		return in
	})
	left, rejoined := c.viewerInCall()
	out := snapshot(c.viewOut)
	if n := len(eventsOf(out, "reconnecting")); n == 0 {
		t.Fatalf("no reconnecting event over a %s cut\n%s", cut, out)
	}
	if ev := eventsOf(out, "left"); len(ev) > 0 {
		t.Fatalf("the viewer left the call\n%s", out)
	}
	t.Logf("%s cut: video back %.1f s after the link's return (%s), reconnected at %.1f s (rejoined %v, id %v, was %s); the publisher saw it leave %d times and come back %d",
		cut, e.at().Sub(back).Seconds(), e["type"], rec.at().Sub(back).Seconds(), rec["rejoined"], rec["you"], c.viewerID, left, rejoined)
}

func TestCutThirtySeconds(t *testing.T) { testLongCut(t, 30*time.Second) }
func TestCutNinetySeconds(t *testing.T) { testLongCut(t, 90*time.Second) }
