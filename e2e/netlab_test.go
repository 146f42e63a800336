//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A netLab is a small network made for one test: a hub namespace holding
// a bridge, and hosts, each a namespace of its own joined to the bridge
// by a veth pair, on 10.N.0.0/24 (N chosen per lab) and fd00:N::/64. A
// host's link can be narrowed, made lossy, filtered or cut on its own,
// the rest of the lab untouched. Everything goes when the test ends.
// See ../shared/design/NETWORK-NOTES.md for what this kernel offers.
type netLab struct {
	t   *testing.T
	id  string // unique per process and lab
	net int    // the second octet of the lab's IPv4 subnet
	hub string // the hub's namespace
	n   int    // hosts made so far
	ran int    // programs started so far
	dir string
}

// A labHost is one namespace in a netLab.
type labHost struct {
	lab  *netLab
	Name string // the test's name for it
	NS   string // its namespace
	IP   string // its IPv4 address
	IP6  string // its IPv6 address
	ifc  string // its end of the veth pair (inside NS)
	hubf string // the hub's end (inside the hub)
	nft  bool   // its nft table exists
}

var labSeq int

// newLab makes a lab, or skips the test where it cannot (not root, no
// ip or nft).
func newLab(t *testing.T) *netLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: it makes network namespaces, veth pairs, qdiscs and nftables rules (run as root, as CI does)")
	}
	for _, tool := range []string{"ip", "nft", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (scripts/bootstrap installs nftables; iproute2 gives ip and tc): %v", tool, err)
		}
	}
	labSeq++
	l := &netLab{t: t, id: fmt.Sprintf("%d%d", os.Getpid()%10000, labSeq), net: 100 + (os.Getpid()+labSeq)%100, dir: t.TempDir()}
	l.hub = "rl-hub" + l.id
	l.sh("ip", "netns", "add", l.hub)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", l.hub).Run() })
	l.sh("ip", "-n", l.hub, "link", "set", "lo", "up")
	l.sh("ip", "-n", l.hub, "link", "add", "br0", "type", "bridge")
	l.sh("ip", "-n", l.hub, "link", "set", "br0", "up")
	return l
}

func (l *netLab) sh(args ...string) string {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

// Host adds a host named name (for the test's messages) to the lab.
func (l *netLab) Host(name string) *labHost {
	l.t.Helper()
	l.n++
	h := &labHost{
		lab:  l,
		Name: name,
		NS:   fmt.Sprintf("rl-%s-%d", l.id, l.n),
		IP:   fmt.Sprintf("10.%d.0.%d", l.net, l.n),
		IP6:  fmt.Sprintf("fd00:%d::%d", l.net, l.n),
		ifc:  fmt.Sprintf("rl%sh%d", l.id, l.n),
		hubf: fmt.Sprintf("rl%sb%d", l.id, l.n),
	}
	if len(h.ifc) > 15 {
		l.t.Fatalf("interface name %q is too long", h.ifc)
	}
	l.sh("ip", "netns", "add", h.NS)
	l.t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", h.NS).Run() })
	l.sh("ip", "-n", h.NS, "link", "set", "lo", "up")
	l.sh("ip", "link", "add", h.ifc, "type", "veth", "peer", "name", h.hubf)
	l.t.Cleanup(func() { _ = exec.Command("ip", "link", "del", h.ifc).Run() }) // if still in the root namespace
	l.sh("ip", "link", "set", h.ifc, "netns", h.NS)
	l.sh("ip", "link", "set", h.hubf, "netns", l.hub)
	l.sh("ip", "-n", l.hub, "link", "set", h.hubf, "master", "br0")
	l.sh("ip", "-n", l.hub, "link", "set", h.hubf, "up")
	l.sh("ip", "-n", h.NS, "addr", "add", h.IP+"/24", "dev", h.ifc)
	// A cut (link down) keeps the IPv6 address, as it keeps the IPv4
	// one: the kernel's default flushes it, and a cut test would test a
	// lost address instead.
	l.sh("ip", "netns", "exec", h.NS, "sysctl", "-q", "-w", "net.ipv6.conf."+h.ifc+".keep_addr_on_down=1")
	l.sh("ip", "-n", h.NS, "-6", "addr", "add", h.IP6+"/64", "dev", h.ifc, "nodad")
	l.sh("ip", "-n", h.NS, "link", "set", h.ifc, "up")
	return h
}

// Rate limits what the host sends and what it receives to kbit kbit/s
// (tbf on both ends of its veth pair).
func (h *labHost) Rate(upKbit, downKbit int) {
	h.lab.t.Helper()
	tbf := func(ns, dev string, kbit int) {
		h.lab.sh("ip", "netns", "exec", ns, "tc", "qdisc", "replace", "dev", dev, "root", "tbf",
			"rate", strconv.Itoa(kbit)+"kbit", "burst", "16kbit", "latency", "200ms")
	}
	tbf(h.NS, h.ifc, upKbit)
	tbf(h.lab.hub, h.hubf, downKbit)
}

// Nft runs one nft command inside the host's namespace, in its table
// "inet lab" (made on first use with an input and an output chain, both
// filter hooks at priority 0), e.g.
//
//	h.Nft("add rule inet lab out meta l4proto udp numgen random mod 100 < 5 counter drop")
func (h *labHost) Nft(cmd string) string {
	h.lab.t.Helper()
	if !h.nft {
		h.nft = true
		for _, c := range []string{
			"add table inet lab",
			"add chain inet lab out { type filter hook output priority 0; }",
			"add chain inet lab in { type filter hook input priority 0; }",
		} {
			h.lab.sh("ip", "netns", "exec", h.NS, "nft", c)
		}
	}
	return h.lab.sh("ip", "netns", "exec", h.NS, "nft", cmd)
}

// Counters lists the host's nft table with its counters.
func (h *labHost) Counters() string {
	return h.Nft("list table inet lab")
}

// Cut takes the host's link down (true) or brings it back (false).
func (h *labHost) Cut(down bool) {
	h.lab.t.Helper()
	state := "up"
	if down {
		state = "down"
	}
	h.lab.sh("ip", "-n", h.NS, "link", "set", h.ifc, state)
}

// Stat reads one of the host's link counters (tx_packets, rx_bytes, ...)
// as the host sees them.
func (h *labHost) Stat(name string) int64 {
	h.lab.t.Helper()
	out := h.lab.sh("ip", "netns", "exec", h.NS, "cat", "/sys/class/net/"+h.ifc+"/statistics/"+name)
	n, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil {
		h.lab.t.Fatalf("%s's %s: %v", h.Name, name, err)
	}
	return n
}

// Start runs one of the built binaries (roomsd, rooms) in the host's
// namespace until ctx ends or the test does, with a state directory of
// its own and env added; its output goes to the buffer returned.
func (h *labHost) Start(ctx context.Context, bin string, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	h.lab.t.Helper()
	var out bytes.Buffer
	path := filepath.Join(binDir, bin)
	if alt := os.Getenv("E2E_ROOMSD"); bin == "roomsd" && alt != "" {
		// Another roomsd to compare against (before/after a change,
		// docs/performance.md): E2E_ROOMSD=/path/to/roomsd.
		path = alt
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, path}, args...)...)
	cmd.Stdout, cmd.Stderr = &syncWriter{b: &out}, &syncWriter{b: &out}
	h.lab.ran++
	state := filepath.Join(h.lab.dir, h.Name, strconv.Itoa(h.lab.ran))
	cmd.Env = append(append(os.Environ(), "XDG_STATE_HOME="+state, "NO_COLOR=1"), env...)
	if err := cmd.Start(); err != nil {
		h.lab.t.Fatal(err)
	}
	// ip netns exec execs the program: this PID is the program's.
	h.lab.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, &out
}

// Run runs a built binary in the host's namespace to its end and returns
// its standard output and error.
func (h *labHost) Run(ctx context.Context, bin string, env []string, args ...string) ([]byte, error) {
	h.lab.t.Helper()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.NS, filepath.Join(binDir, bin)}, args...)...)
	cmd.Env = append(append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(h.lab.dir, h.Name, "run"), "NO_COLOR=1"), env...)
	return cmd.Output()
}

// IPv6Only takes the host's IPv4 address away: it reaches the lab over
// IPv6 alone.
func (h *labHost) IPv6Only() {
	h.lab.t.Helper()
	h.lab.sh("ip", "-n", h.NS, "addr", "del", h.IP+"/24", "dev", h.ifc)
	h.IP = ""
}
