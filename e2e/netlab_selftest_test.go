//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestNetLab checks the lab the impaired-link tests stand on: hosts reach
// each other over IPv4 and IPv6 through the hub, a cut stops that, and a
// host's nft rules count what they drop.
func TestNetLab(t *testing.T) {
	lab := newLab(t)
	srv, peer := lab.Host("server"), lab.Host("peer")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv.Start(ctx, "roomsd", nil, "serve", "--listen", srv.IP+":7880", "--udp-port", "0", "--data-dir", lab.dir+"/data")
	get := func(url string) error {
		_, err := peer.Run(ctx, "roomsd", nil, "healthcheck", "--listen", url, "--timeout", "2s")
		return err
	}
	var err error
	for i := 0; i < 100; i++ {
		if err = get(srv.IP + ":7880"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("the peer cannot reach roomsd at %s: %v", srv.IP, err)
	}
	peer.Cut(true)
	cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
	_, err = peer.Run(cctx, "roomsd", nil, "healthcheck", "--listen", srv.IP+":7880", "--timeout", "2s")
	ccancel()
	if err == nil {
		t.Fatal("the peer reached roomsd with its link down")
	}
	peer.Cut(false)
	peer.Nft("add rule inet lab out tcp dport 7880 counter drop")
	cctx, ccancel = context.WithTimeout(ctx, 3*time.Second)
	_, err = peer.Run(cctx, "roomsd", nil, "healthcheck", "--listen", srv.IP+":7880", "--timeout", "2s")
	ccancel()
	if err == nil {
		t.Fatal("the peer reached roomsd through a rule that drops it")
	}
	if c := peer.Counters(); !strings.Contains(c, "counter packets") || strings.Contains(c, "counter packets 0 ") {
		t.Fatalf("the drop rule counted nothing:\n%s", c)
	}
}
