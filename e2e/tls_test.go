//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rooms-dev/rooms/internal/tlstest"
)

// testCAs are the CAs mkcert made, by directory, so a later mkcert in the
// same directory renews the leaf under the same CA.
var testCAs sync.Map

// mkcert DIR SERIAL writes DIR/ca.pem (a test CA, made on the first call)
// and DIR/cert.pem, DIR/key.pem: a leaf for 127.0.0.1 and localhost with
// SERIAL, replaced through a rename as a renewal does.
func mkcert(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkcert DIR SERIAL")
	}
	dir := ts.MkAbs(args[0])
	serial, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	ts.Check(os.MkdirAll(dir, 0o755))
	v, ok := testCAs.Load(dir)
	if !ok {
		ca, err := tlstest.NewCA()
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(dir, "ca.pem"), ca.PEM, 0o644))
		v = ca
		testCAs.Store(dir, ca)
	}
	ts.Check(v.(*tlstest.CA).Leaf(serial, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")))
}

// scriptTLS is a client configuration trusting the script's SSL_CERT_FILE,
// nil when it has none.
func scriptTLS(ts *testscript.TestScript) *tls.Config {
	file := ts.Getenv("SSL_CERT_FILE")
	if file == "" {
		return nil
	}
	b, err := os.ReadFile(file)
	ts.Check(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		ts.Fatalf("SSL_CERT_FILE %s holds no certificate", file)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// scriptHTTP is an HTTP client trusting the script's SSL_CERT_FILE.
func scriptHTTP(ts *testscript.TestScript) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: scriptTLS(ts), DisableKeepAlives: true}}
}

// servedserial ADDR SERIAL waits (30 s: roomsd looks at its certificate
// files every 10 s) until a new handshake with ADDR, trusting
// SSL_CERT_FILE, gets the certificate with SERIAL.
func servedSerial(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: servedserial ADDR SERIAL")
	}
	want, err := strconv.ParseInt(args[1], 10, 64)
	ts.Check(err)
	cfg := scriptTLS(ts)
	var got int64
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := tls.Dial("tcp", args[0], cfg)
		if err == nil {
			got = conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
			conn.Close()
			if got == want {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	ts.Fatalf("%s serves the certificate with serial %d, not %d, after 30 s", args[0], got, want)
}
