//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSTUNDiscoveryBehindNAT: roomsd on a host behind a 1:1 NAT (a router
// namespace that forwards its public address's ports 7880 and 7882 to the
// server's private 192.168.77.2 and rewrites what leaves), started with
// --stun-server pointing at a STUN server elsewhere in the lab and no
// --public-ip. It learns the router's address, announces it, and a viewer
// outside the NAT, which has no route to 192.168.77.0/24, decodes a
// publisher's video through it.
func TestSTUNDiscoveryBehindNAT(t *testing.T) {
	lab := newLab(t)
	router, outside, stunHost := lab.Host("router"), lab.Host("outside"), lab.Host("stun")
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(binDir, "stund"), "./testdata/stund").CombinedOutput(); err != nil {
		t.Fatalf("build the lab's STUN server: %v\n%s", err, out)
	}
	_, stunLog := stunHost.Start(ctx, "stund", nil, "-listen", stunHost.IP+":3478")

	// The server's private network behind the router.
	srv := &labHost{lab: lab, Name: "natted", NS: "rl-" + lab.id + "-nat", IP: "192.168.77.2"}
	lab.sh("ip", "netns", "add", srv.NS)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", srv.NS).Run() })
	lab.sh("ip", "-n", srv.NS, "link", "set", "lo", "up")
	inner, outer := "rl"+lab.id+"ni", "rl"+lab.id+"no"
	lab.sh("ip", "link", "add", inner, "type", "veth", "peer", "name", outer)
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", inner).Run() })
	lab.sh("ip", "link", "set", inner, "netns", srv.NS)
	lab.sh("ip", "link", "set", outer, "netns", router.NS)
	lab.sh("ip", "-n", srv.NS, "addr", "add", "192.168.77.2/24", "dev", inner)
	lab.sh("ip", "-n", srv.NS, "link", "set", inner, "up")
	lab.sh("ip", "-n", srv.NS, "route", "add", "default", "via", "192.168.77.1")
	lab.sh("ip", "-n", router.NS, "addr", "add", "192.168.77.1/24", "dev", outer)
	lab.sh("ip", "-n", router.NS, "link", "set", outer, "up")
	lab.sh("ip", "netns", "exec", router.NS, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	public := router.IP
	for _, c := range []string{
		"add table ip nat",
		"add chain ip nat pre { type nat hook prerouting priority -100; }",
		"add chain ip nat post { type nat hook postrouting priority 100; }",
		fmt.Sprintf("add rule ip nat pre ip daddr %s tcp dport { 7880, 7882 } dnat to 192.168.77.2", public),
		fmt.Sprintf("add rule ip nat pre ip daddr %s udp dport 7882 dnat to 192.168.77.2", public),
		fmt.Sprintf("add rule ip nat post oifname %s ip saddr 192.168.77.0/24 snat to %s", router.ifc, public),
	} {
		lab.sh("ip", "netns", "exec", router.NS, "nft", c)
	}

	const token = "nat-create-token-0123456789abcdef"
	url := "http://" + public + ":7880"
	_, srvLog := srv.Start(ctx, "roomsd", nil, "serve", "--listen", "192.168.77.2:7880", "--public-url", url, "--udp-port", "7882",
		"--stun-server", stunHost.IP+":3478", "--data-dir", filepath.Join(lab.dir, "data"), "--create-token", token)
	env := []string{"ROOMS_SERVER=" + url, "ROOMS_CREATE_TOKEN=" + token}
	var room struct{ ID string }
	for i := 0; ; i++ {
		out, err := outside.Run(ctx, "rooms", env, "create", "--json", "--max", "3")
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create through the NAT: %v\n%s\nroomsd:\n%s\nstund:\n%s", err, out, snapshot(srvLog), snapshot(stunLog))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if log := string(snapshot(srvLog)); !strings.Contains(log, "public address from the STUN server") || !strings.Contains(log, public+":7882") {
		t.Fatalf("roomsd did not say it learnt %s:7882 from the STUN server:\n%s", public, log)
	}
	outside.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", "60s")
	_, viewer := outside.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "viewer", "--duration", "60s")
	firstFrame := regexp.MustCompile(`"kind":"video".*"name":"pub","pattern_ok":true.*"type":"first_frame"`)
	waitForOutput(t, ctx, "the viewer outside the NAT decodes the publisher's video", viewer, func(b []byte) bool { return firstFrame.Match(b) })
	waitForOutput(t, ctx, "the viewer's stats count 30 frames", viewer, func(b []byte) bool { return maxVideoFrames(b, "pub") >= 30 })
	t.Logf("roomsd behind the NAT announced %s (from the STUN server); the viewer decoded %d frames", public, maxVideoFrames(snapshot(viewer), "pub"))
}
