//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/tlstest"
)

// TestTURNTLSWhenUDPAndTCPAreBlocked: roomsd serves HTTPS with a test
// certificate and runs its TURN relay (--turn: 3478 UDP/TCP, 5349 TLS
// with the same certificate), with a publisher beside it. A viewer whose
// namespace drops every UDP packet and TCP to the media port and to TURN
// over plain TCP (only HTTPS on 7880 and TURN-TLS on 5349 pass) joins
// with the real `rooms join --headless`: it decodes the publisher's test
// pattern, and the nft counters show UDP and TCP to the media port tried
// and dropped and the media coming from port 5349. A second viewer on an
// open link joins over plain UDP, for the time to the first frame next
// to it.
func TestTURNTLSWhenUDPAndTCPAreBlocked(t *testing.T) {
	lab := newLab(t)
	srv, viewer, open := lab.Host("server"), lab.Host("viewer"), lab.Host("open")
	ca, err := tlstest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	caFile, cert, key := filepath.Join(lab.dir, "ca.pem"), filepath.Join(lab.dir, "cert.pem"), filepath.Join(lab.dir, "key.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ca.Leaf(1, cert, key, srv.IP); err != nil {
		t.Fatal(err)
	}
	const token, mediaPort = "turn-create-token-0123456789", "7882"
	server := "https://" + srv.IP + ":7880"
	env := []string{"ROOMS_SERVER=" + server, "ROOMS_CREATE_TOKEN=" + token, "SSL_CERT_FILE=" + caFile}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	viewer.Nft("add rule inet lab out meta l4proto udp counter drop")
	viewer.Nft("add rule inet lab in meta l4proto udp counter drop")
	viewer.Nft("add rule inet lab out tcp dport " + mediaPort + " counter drop")
	viewer.Nft("add rule inet lab out tcp dport 3478 counter drop")
	viewer.Nft("add rule inet lab in tcp sport 5349 counter accept")

	_, srvOut := srv.Start(ctx, "roomsd", env, "serve", "--listen", srv.IP+":7880", "--udp-port", mediaPort,
		"--data-dir", filepath.Join(lab.dir, "data"), "--create-token", token, "--tls-cert", cert, "--tls-key", key, "--turn")
	var room struct{ ID string }
	for i := 0; ; i++ {
		out, err := srv.Run(ctx, "rooms", env, "create", "--json", "--max", "4")
		if err == nil && json.Unmarshal(out, &room) == nil && room.ID != "" {
			break
		}
		if i == 100 {
			t.Fatalf("rooms create: %v\n%s\nroomsd:\n%s", err, out, snapshot(srvOut))
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", "pub", "--video", "testsrc", "--simulcast=false", "--duration", "100s")

	firstFrame := regexp.MustCompile(`"kind":"video".*"name":"pub","pattern_ok":true.*"type":"first_frame"`)
	join := func(h *labHost, name string) (*bytes.Buffer, time.Duration) {
		t.Helper()
		start := time.Now()
		_, out := h.Start(ctx, "rooms", env, "join", room.ID, "--headless", "--json", "--name", name, "--duration", "60s")
		waitForOutput(t, ctx, name+" decodes the publisher's test pattern", out, func(b []byte) bool { return firstFrame.Match(b) })
		return out, time.Since(start)
	}
	viewerOut, overTURN := join(viewer, "viewer")
	var frames int
	waitForOutput(t, ctx, "the viewer's stats count 30 frames of the publisher's video", viewerOut, func(b []byte) bool {
		frames = maxVideoFrames(b, "pub")
		return frames >= 30
	})
	counters := viewer.Counters()
	udpDropped := counterPackets(t, counters, `meta l4proto udp counter packets (\d+)`)
	tcpMedia := counterPackets(t, counters, `tcp dport `+mediaPort+` counter packets (\d+)`)
	tlsIn := counterPackets(t, counters, `tcp sport 5349 counter packets (\d+)`)
	if udpDropped == 0 || tcpMedia == 0 {
		t.Errorf("UDP dropped %d, TCP to the media port dropped %d: the viewer did not try them, so this proves nothing\n%s", udpDropped, tcpMedia, counters)
	}
	if tlsIn < int64(frames) {
		t.Errorf("%d TCP packets came from TURN-TLS (5349) for %d frames decoded: the media did not come through the relay\n%s", tlsIn, frames, counters)
	}
	_, overUDP := join(open, "open")
	t.Logf("the viewer decoded %d frames through TURN-TLS (%d packets from 5349; %d UDP and %d TCP-to-media packets dropped); rooms join start to first frame: %v over TURN-TLS, %v over UDP",
		frames, tlsIn, udpDropped, tcpMedia, overTURN.Round(time.Millisecond), overUDP.Round(time.Millisecond))
}
