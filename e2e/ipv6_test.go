//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestIPv6OnlyViewer: roomsd listens on both families ([::], its media
// port dual-stack); a publisher joins over IPv4, a viewer on a lab host
// with no IPv4 address at all joins over IPv6 and decodes the publisher's
// test pattern, its media on an IPv6 candidate pair (roomsd's answer
// offers an IPv6 host candidate, and the viewer has no other way).
func TestIPv6OnlyViewer(t *testing.T) {
	lab := newLab(t)
	srv, view := lab.Host("server"), lab.Host("viewer6")
	view.IPv6Only()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	const token = "ipv6-create-token-0123456789abcdef"
	// One public URL, as a DNS name with an A and an AAAA record would
	// be: here the IPv6 address, which the server's host reaches too.
	public := "http://" + net.JoinHostPort(srv.IP6, "7880")
	_, srvLog := srv.Start(ctx, "roomsd", nil, "serve", "--listen", "[::]:7880", "--udp-port", "7882", "--public-url", public,
		"--data-dir", filepath.Join(lab.dir, "data"), "--create-token", token)
	srvOut := func() []byte { return snapshot(srvLog) }
	v4 := []string{"ROOMS_SERVER=" + public, "ROOMS_CREATE_TOKEN=" + token}
	v6 := []string{"ROOMS_SERVER=" + public}
	var room struct{ ID string }
	for i := 0; ; i++ {
		out, err := srv.Run(ctx, "rooms", v4, "create", "--json", "--max", "3")
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create: %v\n%s\nroomsd:\n%s", err, out, srvOut())
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.Start(ctx, "rooms", v4, "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", "60s")
	_, viewer := view.Start(ctx, "rooms", v6, "join", room.ID, "--headless", "--json", "--name", "viewer", "--duration", "60s")
	firstFrame := regexp.MustCompile(`"kind":"video".*"name":"pub","pattern_ok":true.*"type":"first_frame"`)
	waitForOutput(t, ctx, "the IPv6-only viewer decodes the publisher's test pattern", viewer, func(b []byte) bool { return firstFrame.Match(b) })
	waitForOutput(t, ctx, "the viewer's stats count 30 frames", viewer, func(b []byte) bool { return maxVideoFrames(b, "pub") >= 30 })
	// The viewer has no IPv4 address: its packets to roomsd went over
	// IPv6, which its link counters cannot tell apart, but its address
	// list can: nothing but IPv6 (and loopback) is configured.
	out := lab.sh("ip", "-n", view.NS, "-4", "addr", "show", "dev", view.ifc)
	if strings.Contains(out, "inet ") {
		t.Fatalf("the viewer still has an IPv4 address:\n%s", out)
	}
	t.Logf("the IPv6-only viewer decoded %d frames", maxVideoFrames(snapshot(viewer), "pub"))
}
