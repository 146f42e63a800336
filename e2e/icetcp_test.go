//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestICETCPWhenUDPIsBlocked: roomsd alone with a publisher in one network
// namespace, a viewer in another whose nftables drop every UDP packet,
// the two joined by a veth pair with addresses this test chooses. The
// viewer (the real `rooms join --headless`) decodes the publisher's test
// pattern, its stats count frames, and the media came over TCP: UDP was
// dropped (the drop counter moved) and TCP packets from roomsd's media
// port reached it (the accept counter).
func TestICETCPWhenUDPIsBlocked(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes network namespaces, a veth pair and nftables rules (run as root, as CI does)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (scripts/bootstrap installs nftables; iproute2 gives ip): %v", tool, err)
		}
	}
	id := strconv.Itoa(os.Getpid() % 100000)
	srvNS, viewNS := "rooms-itcp-s"+id, "rooms-itcp-v"+id
	srvIf, viewIf := "itcps"+id, "itcpv"+id
	const srvIP, viewIP, mediaPort = "10.231.0.1", "10.231.0.2", "7882"
	sh := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Removing the namespaces removes the veth pair and the nft table
	// inside; they go even if the test fails half way.
	for _, ns := range []string{srvNS, viewNS} {
		sh("ip", "netns", "add", ns)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
		sh("ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh("ip", "link", "add", srvIf, "type", "veth", "peer", "name", viewIf)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", srvIf).Run() }) // if still in the root namespace
	sh("ip", "link", "set", srvIf, "netns", srvNS)
	sh("ip", "link", "set", viewIf, "netns", viewNS)
	sh("ip", "-n", srvNS, "addr", "add", srvIP+"/24", "dev", srvIf)
	sh("ip", "-n", viewNS, "addr", "add", viewIP+"/24", "dev", viewIf)
	sh("ip", "-n", srvNS, "link", "set", srvIf, "up")
	sh("ip", "-n", viewNS, "link", "set", viewIf, "up")
	// The viewer's UDP is blocked both ways; TCP from the media port is
	// counted.
	nft := func(rule string) { sh("ip", "netns", "exec", viewNS, "nft", rule) }
	nft("add table inet block")
	nft("add chain inet block out { type filter hook output priority 0; }")
	nft("add chain inet block in { type filter hook input priority 0; }")
	nft("add rule inet block out meta l4proto udp counter drop")
	nft("add rule inet block in meta l4proto udp counter drop")
	nft("add rule inet block in tcp sport " + mediaPort + " counter accept")

	dir := t.TempDir()
	const token = "icetcp-create-token-0123456789"
	server := "http://" + srvIP + ":7880"
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := func(ns, name string, args ...string) *bytes.Buffer {
		t.Helper()
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, filepath.Join(binDir, name)}, args...)...)
		cmd.Stdout, cmd.Stderr = &syncWriter{b: &out}, &syncWriter{b: &out}
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, ns+name+strconv.Itoa(len(args))), "ROOMS_SERVER="+server, "ROOMS_CREATE_TOKEN="+token, "NO_COLOR=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// ip netns exec execs the program: this PID is the program's.
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return &out
	}
	srvOut := start(srvNS, "roomsd", "serve", "--listen", srvIP+":7880", "--udp-port", mediaPort, "--data-dir", filepath.Join(dir, "data"), "--create-token", token)
	var room struct{ ID string }
	for i := 0; ; i++ {
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", srvNS, filepath.Join(binDir, "rooms"), "create", "--json", "--max", "3")
		cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "creator"), "ROOMS_SERVER="+server, "ROOMS_CREATE_TOKEN="+token)
		out, err := cmd.Output()
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create: %v\n%s\nroomsd:\n%s", err, out, snapshot(srvOut))
		}
		time.Sleep(100 * time.Millisecond)
	}
	pub := start(srvNS, "rooms", "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", "60s")
	// The publisher's first: the viewer's time from its start to its
	// first decoded frame is then the time it takes to join over TCP
	// (logged for docs/performance.md, not asserted).
	pubFrame := regexp.MustCompile(`"type":"stats"`) // 5 s into its call: its media is flowing
	waitForOutput(t, ctx, "the publisher reports its first stats", pub, func(b []byte) bool { return pubFrame.Match(b) })
	joinStart := time.Now()
	viewer := start(viewNS, "rooms", "join", room.ID, "--headless", "--json", "--name", "viewer", "--duration", "60s")

	firstFrame := regexp.MustCompile(`"kind":"video".*"name":"pub","pattern_ok":true.*"type":"first_frame"`)
	waitForOutput(t, ctx, "the viewer decodes the publisher's test pattern", viewer, func(b []byte) bool { return firstFrame.Match(b) })
	t.Logf("the viewer's join to its first decoded frame over ICE-TCP took %v", time.Since(joinStart).Round(time.Millisecond))
	var frames int
	waitForOutput(t, ctx, "the viewer's stats count 30 frames of the publisher's video", viewer, func(b []byte) bool {
		frames = maxVideoFrames(b, "pub")
		return frames >= 30
	})

	counters := sh("ip", "netns", "exec", viewNS, "nft", "list", "table", "inet", "block")
	udpDropped := counterPackets(t, counters, `meta l4proto udp counter packets (\d+)`)
	tcpIn := counterPackets(t, counters, `tcp sport `+mediaPort+` counter packets (\d+)`)
	if udpDropped == 0 {
		t.Errorf("no UDP packet was dropped: the viewer never tried UDP, so this proves nothing\n%s", counters)
	}
	// Every frame came in at least one TCP segment (a few may share one).
	if tcpIn < 30 {
		t.Errorf("%d TCP packets came from roomsd's media port for %d frames decoded: the media did not come over TCP\n%s", tcpIn, frames, counters)
	}
	t.Logf("the viewer decoded %d frames over ICE-TCP; %d UDP packets dropped, %d TCP packets from port %s", frames, udpDropped, tcpIn, mediaPort)
}

// counterPackets is the first nft counter matching re (its group 1).
func counterPackets(t *testing.T, listing, re string) int64 {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(listing)
	if m == nil {
		t.Fatalf("no counter %q in\n%s", re, listing)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// maxVideoFrames is the most frames a headless --json stats line counts
// for name's video.
func maxVideoFrames(out []byte, name string) int {
	best := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev struct {
			Type   string
			Tracks []struct {
				Name, Kind string
				Frames     int
			}
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Type != "stats" {
			continue
		}
		for _, tr := range ev.Tracks {
			if tr.Name == name && tr.Kind == "video" {
				best = max(best, tr.Frames)
			}
		}
	}
	return best
}

// waitForOutput polls out until cond holds or ctx ends.
func waitForOutput(t *testing.T, ctx context.Context, what string, out *bytes.Buffer, cond func([]byte) bool) {
	t.Helper()
	for {
		b := snapshot(out)
		if cond(b) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the test's time; output:\n%s", what, b)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// syncWriter and snapshot let the test read a buffer a process writes.
type syncWriter struct{ b *bytes.Buffer }

var outMu = make(chan struct{}, 1)

func (w *syncWriter) Write(p []byte) (int, error) {
	outMu <- struct{}{}
	defer func() { <-outMu }()
	return w.b.Write(p)
}

func snapshot(b *bytes.Buffer) []byte {
	outMu <- struct{}{}
	defer func() { <-outMu }()
	return bytes.Clone(b.Bytes())
}
