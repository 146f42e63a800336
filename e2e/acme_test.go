//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/tlstest"
)

// pebbleVersion is the ACME test server TestACME builds when no pebble is
// on PATH: Let's Encrypt's, from the Go module proxy.
const pebbleVersion = "github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.3"

// pebbleBinary finds pebble on PATH or builds it; "" when it cannot.
func pebbleBinary(t *testing.T) string {
	if p, err := exec.LookPath("pebble"); err == nil {
		return p
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "install", pebbleVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("build pebble: %v\n%s", err, out)
		return ""
	}
	return filepath.Join(dir, "pebble")
}

// TestACME: roomsd with --tls-domain gets its certificate from a real ACME
// server (Pebble, validating every challenge as passed, since no DNS name
// points here), serves it for the domain with HSTS, and keeps it in
// DataDir/acme.
func TestACME(t *testing.T) {
	pebble := pebbleBinary(t)
	if pebble == "" {
		t.Skip("no pebble on PATH and it did not build; install it with go install " + pebbleVersion)
	}
	dir := t.TempDir()
	ca, err := tlstest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	caFile, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(caFile, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ca.Leaf(1, cert, key); err != nil {
		t.Fatal(err)
	}
	acmePort, mgmtPort, roomsPort := mustFreePort(t), mustFreePort(t), mustFreePort(t)
	conf := map[string]any{"pebble": map[string]any{
		"listenAddress":           "127.0.0.1:" + strconv.Itoa(acmePort),
		"managementListenAddress": "127.0.0.1:" + strconv.Itoa(mgmtPort),
		"certificate":             cert, "privateKey": key,
		"httpPort": 5002, "tlsPort": 5001,
		"externalAccountBindingRequired": false,
		"retryAfter":                     map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm":                   "ecdsa",
	}}
	b, _ := json.Marshal(conf)
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var pebbleLog syncBuffer
	pc := exec.Command(pebble, "-config", confFile)
	pc.Env = append(os.Environ(), "PEBBLE_VA_ALWAYS_VALID=1", "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	pc.Stdout, pc.Stderr = &pebbleLog, &pebbleLog
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Process.Kill(); _ = pc.Wait() })

	data := filepath.Join(dir, "data")
	listen := "127.0.0.1:" + strconv.Itoa(roomsPort)
	var roomsdLog syncBuffer
	rc := exec.Command(filepath.Join(binDir, "roomsd"), "serve", "--listen", listen, "--data-dir", data,
		"--tls-domain", "rooms.test", "--acme-email", "ops@rooms.test",
		"--acme-directory", fmt.Sprintf("https://127.0.0.1:%d/dir", acmePort), "--http-listen", "127.0.0.1:0")
	rc.Env = append(os.Environ(), "SSL_CERT_FILE="+caFile, "ROOMSD_UDP_PORT=0")
	rc.Stdout, rc.Stderr = &roomsdLog, &roomsdLog
	if err := rc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Process.Signal(os.Interrupt); _ = rc.Wait() })

	// Pebble makes a new root each run; the management port hands it out.
	mgmt := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	var root []byte
	waitFor(t, 20*time.Second, "pebble's root", func() bool {
		resp, err := mgmt.Get(fmt.Sprintf("https://127.0.0.1:%d/roots/0", mgmtPort))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		root, _ = io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK
	}, &pebbleLog)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(root) {
		t.Fatalf("pebble's root is no PEM: %q", root)
	}
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "rooms.test", MinVersion: tls.VersionTLS12},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, listen)
		},
	}}
	var resp *http.Response
	waitFor(t, 60*time.Second, "a certificate from pebble", func() bool {
		resp, err = hc.Get(fmt.Sprintf("https://rooms.test:%d/healthz", roomsPort))
		if err != nil {
			t.Log(err)
			return false
		}
		resp.Body.Close()
		return true
	}, &roomsdLog)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("https://rooms.test/healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if issuer := resp.TLS.PeerCertificates[0].Issuer.CommonName; !strings.Contains(strings.ToLower(issuer), "pebble") {
		t.Errorf("certificate issued by %q, want pebble", issuer)
	}
	if _, err := os.Stat(filepath.Join(data, "acme", "rooms.test")); err != nil {
		t.Errorf("the certificate is not cached in the data directory: %v", err)
	}
}

func mustFreePort(t *testing.T) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls ok every 200 ms until it holds or within passes; log is
// shown when it does not.
func waitFor(t *testing.T, within time.Duration, what string, ok func() bool, log *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no %s in %v; log:\n%s", what, within, log.String())
}

// syncBuffer is a buffer a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
