//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/internal/tlstest"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestBrowserOverHTTPS: a roomsd serving HTTPS itself (--tls-cert) under a
// name that is not loopback (rooms.test, mapped to 127.0.0.1 in
// Chromium) gives the page a secure context: Chromium joins over wss,
// sends its camera to a terminal participant (who joined through
// 127.0.0.1 over https, trusting the test CA) and shows its video. Over
// plain http at a name like this, the page has no camera at all.
func TestBrowserOverHTTPS(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlstest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	caFile, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ca.Leaf(1, cert, key, "rooms.test"); err != nil {
		t.Fatal(err)
	}
	port := mustFreePort(t)
	listen := "127.0.0.1:" + strconv.Itoa(port)
	public := "https://rooms.test:" + strconv.Itoa(port)
	cmd := exec.Command(filepath.Join(binDir, "roomsd"), "serve", "--listen", listen, "--udp-port", "0",
		"--data-dir", t.TempDir(), "--log-level", "warn", "--tls-cert", cert, "--tls-key", key, "--public-url", public)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	local := "https://" + listen
	for i := 0; i < 200; i++ {
		if resp, err := hc.Get(local + "/readyz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	c, err := client.New(local, client.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "TLS"})
	if err != nil {
		t.Fatal(err)
	}
	if want := public + "/r/" + r.ID; r.Link != want {
		t.Fatalf("link %q, want %q", r.Link, want)
	}
	// The terminal participant trusts the test CA (its children inherit
	// the variable) and reaches roomsd by its loopback address.
	t.Setenv("SSL_CERT_FILE", caFile)
	goP := startGoPeer(t, &server{url: local, c: c}, r.ID, "Go")
	goP.waitEvent(t, map[string]any{"type": "joined"})

	b := newBrowser(t, 1280, 800,
		chromedp.Flag("host-resolver-rules", "MAP rooms.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors", true))
	b.open(r.Link + "?autojoin=1&name=Web")
	b.waitJS("a secure context over https", `window.isSecureContext && location.protocol === 'https:'`)
	b.waitJS("the Go participant's tile", `document.querySelector('#grid .tile .name') && document.querySelector('#grid .tile .name').textContent.includes('Go')`)
	b.waitJS("decoded video frames", `window.roomsDebug.stats().framesDecoded > 10`)
	goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Web"})
}
