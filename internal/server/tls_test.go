package server

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/tlstest"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// tlsFiles makes a test CA and a leaf for loopback (serial 1) in a
// temporary directory.
func tlsFiles(t *testing.T) (ca *tlstest.CA, cert, key string) {
	t.Helper()
	ca, err := tlstest.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := ca.Leaf(1, cert, key); err != nil {
		t.Fatal(err)
	}
	return ca, cert, key
}

// servedSerial is the serial of the certificate a new handshake with addr
// gets.
func servedSerial(t *testing.T, addr string, ca *tlstest.CA) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, ca.ClientConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestResolveTLS(t *testing.T) {
	base := func(set func(*Config)) Config {
		c := Config{Listen: "127.0.0.1:7880", DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10}
		set(&c)
		return c
	}
	tests := []struct {
		name         string
		cfg          Config
		wantErr      string
		wantURL      string
		wantRedirect string
	}{
		{"certificate files make the links https", base(func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "c", "k" }), "", "https://127.0.0.1:7880", ""},
		{"port 443 is left out", base(func(c *Config) { c.Listen = "127.0.0.1:443"; c.TLS.CertFile, c.TLS.KeyFile = "c", "k" }), "", "https://127.0.0.1", ""},
		{"a domain is the link's host", base(func(c *Config) { c.Listen = ":443"; c.TLS.Domains = []string{"Rooms.Example.com."} }), "", "https://rooms.example.com", ":80"},
		{"a domain on another port", base(func(c *Config) { c.Listen = ":8443"; c.TLS.Domains = []string{"rooms.example.com"} }), "", "https://rooms.example.com:8443", ":80"},
		{"a public URL given wins", base(func(c *Config) { c.PublicURL = "https://x.example.com"; c.TLS.CertFile, c.TLS.KeyFile = "c", "k" }), "", "https://x.example.com", ""},
		{"the redirect only when asked with files", base(func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile, c.TLS.HTTPListen = "c", "k", "127.0.0.1:8080" }), "", "https://127.0.0.1:7880", "127.0.0.1:8080"},
		{"no TLS stays http", base(func(*Config) {}), "", "http://127.0.0.1:7880", ""},
		{"a certificate without its key", base(func(c *Config) { c.TLS.CertFile = "c" }), "--tls-cert and --tls-key go together", "", ""},
		{"files and a domain", base(func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile, c.TLS.Domains = "c", "k", []string{"a.example.com"} }), "give one", "", ""},
		{"an address is no domain", base(func(c *Config) { c.TLS.Domains = []string{"192.0.2.1"} }), "--tls-domain", "", ""},
		{"a URL is no domain", base(func(c *Config) { c.TLS.Domains = []string{"https://rooms.example.com"} }), "--tls-domain", "", ""},
		{"ACME settings without a domain", base(func(c *Config) { c.TLS.ACMEEmail = "ops@example.com" }), "--acme-email", "", ""},
		{"a bad ACME directory", base(func(c *Config) { c.TLS.Domains, c.TLS.ACMEDirectory = []string{"a.example.com"}, "acme" }), "--acme-directory", "", ""},
		{"a bad redirect address", base(func(c *Config) { c.TLS.Domains, c.TLS.HTTPListen = []string{"a.example.com"}, "80" }), "--http-listen", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			err := c.Resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PublicURL != tt.wantURL || c.TLS.HTTPListen != tt.wantRedirect {
				t.Errorf("public URL %q, redirect %q; want %q, %q", c.PublicURL, c.TLS.HTTPListen, tt.wantURL, tt.wantRedirect)
			}
		})
	}
}

func TestPlainHTTPWarning(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		warn bool
	}{
		{"loopback", func(*Config) {}, false},
		{"every interface in plain HTTP", func(c *Config) { c.Listen = "0.0.0.0:7880" }, true},
		{"every interface with certificate files", func(c *Config) { c.Listen = "0.0.0.0:7880"; c.TLS.CertFile, c.TLS.KeyFile = "c", "k" }, false},
		{"every interface with a domain", func(c *Config) { c.Listen = ":443"; c.TLS.Domains = []string{"rooms.example.com"} }, false},
		{"behind a trusted proxy", func(c *Config) { c.Listen = "0.0.0.0:7880"; c.TrustedProxies = []string{"10.0.0.1"} }, false},
		{"behind a proxy its public URL says is https", func(c *Config) { c.Listen = "0.0.0.0:7880"; c.PublicURL = "https://rooms.example.com" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Listen: DefaultListen, DataDir: t.TempDir(), MaxParticipants: 50, MaxScreenShares: 10}
			tt.set(&c)
			if err := c.Resolve(); err != nil {
				t.Fatal(err)
			}
			w := plainHTTPWarning(c)
			if (w != "") != tt.warn {
				t.Fatalf("warning %q, want one: %v", w, tt.warn)
			}
			if tt.warn {
				for _, say := range []string{"camera", "--tls-domain", "--tls-cert", "--trusted-proxy"} {
					if !strings.Contains(w, say) {
						t.Errorf("the warning does not say %q: %s", say, w)
					}
				}
			}
		})
	}
}

func TestHSTSOnlyOverTLSAndNotOnLoopback(t *testing.T) {
	ok := withHSTS(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tests := []struct {
		name, host string
		tls        bool
		want       string
	}{
		{"https to a public name", "rooms.example.com", true, HSTS},
		{"https to a public name and port", "rooms.example.com:8443", true, HSTS},
		{"plain http", "rooms.example.com", false, ""},
		{"https to localhost", "localhost:7880", true, ""},
		{"https to 127.0.0.1", "127.0.0.1:7880", true, ""},
		{"https to ::1", "[::1]:7880", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = tt.host
			if !tt.tls {
				r.TLS = nil
			} else {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			ok.ServeHTTP(w, r)
			if got := w.Header().Get("Strict-Transport-Security"); got != tt.want {
				t.Errorf("Strict-Transport-Security %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCertFilesReload: a certificate rewritten on disk is seen as changed
// and served after a reload; a broken pair keeps the one in use.
func TestCertFilesReload(t *testing.T) {
	ca, cert, key := tlsFiles(t)
	files, err := loadCertFiles(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() int64 { c, _ := files.get(nil); return c.Leaf.SerialNumber.Int64() }
	if files.changed() || serial() != 1 {
		t.Fatalf("fresh: changed %v, serial %d", files.changed(), serial())
	}
	if err := ca.Leaf(2, cert, key); err != nil {
		t.Fatal(err)
	}
	if !files.changed() {
		t.Fatal("a rewritten certificate is not seen as changed")
	}
	if fresh, err := files.reload(); err != nil || !fresh || serial() != 2 {
		t.Fatalf("reload = %v, %v; serial %d, want 2", fresh, err, serial())
	}
	if fresh, err := files.reload(); err != nil || fresh {
		t.Fatalf("reloading the same files = %v, %v, want nothing new", fresh, err)
	}
	if err := os.WriteFile(cert, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := files.reload(); err == nil || !strings.Contains(err.Error(), "PEM") {
		t.Fatalf("reload of a broken file = %v", err)
	}
	if serial() != 2 {
		t.Fatalf("a broken file replaced the certificate in use: serial %d", serial())
	}
	if _, err := loadCertFiles(cert, filepath.Join(t.TempDir(), "missing.pem")); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Fatalf("a missing key = %v", err)
	}
}

// TestHTTPSCallAndCertificateSwap: roomsd with --tls-cert serves HTTPS on
// loopback; rooms are created and called over https and wss (signatures
// and origin checks over roomsd's own TLS); a certificate renewed on disk
// is served after Reload while the call goes on.
func TestHTTPSCallAndCertificateSwap(t *testing.T) {
	ca, cert, key := tlsFiles(t)
	tcp, udp := freePorts(t)
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = tcp, t.TempDir(), udp
	cfg.TLS.CertFile, cfg.TLS.KeyFile = cert, key
	srv := startServer(t, cfg)
	if got := srv.Config().PublicURL; got != "https://"+tcp {
		t.Fatalf("public URL %q, want https://%s", got, tcp)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	t.Cleanup(hc.CloseIdleConnections)
	c, err := client.New("https://"+tcp, client.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := c.CreateRoom(ctx, api.CreateRoomRequest{})
	if err != nil {
		t.Fatalf("create a room over https: %v", err)
	}
	if !strings.HasPrefix(r.Link, "https://"+tcp+"/r/") {
		t.Errorf("link %q is not https", r.Link)
	}
	ann, err := joinWith(t, c, r.ID, "ann", client.JoinOptions{HostKey: r.HostKey, HTTPClient: hc})
	if err != nil {
		t.Fatalf("join over wss: %v", err)
	}
	bo, err := joinWith(t, c, r.ID, "bo", client.JoinOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	ann.waitFrames(t, "bo")
	bo.waitFrames(t, "ann")
	before := participantIDs(t, c, r.ID)

	// Plain HTTP on the HTTPS port is refused.
	if resp, err := http.Get("http://" + tcp + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the HTTPS port")
		}
	}

	if got := servedSerial(t, tcp, ca); got != 1 {
		t.Fatalf("serial %d before the renewal", got)
	}
	if err := ca.Leaf(2, cert, key); err != nil {
		t.Fatal(err)
	}
	if err := srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, tcp, ca); got != 2 {
		t.Fatalf("serial %d after the renewal and a reload, want 2", got)
	}
	waitForwarded(t, srv, srv.sfu.Forwarded(), 60)
	if after := participantIDs(t, c, r.ID); !slices.Equal(after, before) {
		t.Errorf("participants went from %v to %v across the renewal", before, after)
	}
	for _, p := range []*peer{ann, bo} {
		for len(p.events) > 0 {
			failOnLeave(t, p, <-p.events)
		}
	}
}

// TestRedirectToHTTPS: --http-listen answers plain HTTP with a permanent
// redirect to the public URL (not to the Host asked for), and HTTPS
// answers to a public name carry HSTS.
func TestRedirectToHTTPS(t *testing.T) {
	ca, cert, key := tlsFiles(t)
	tcp, udp := freePorts(t)
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = tcp, t.TempDir(), udp
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.HTTPListen = cert, key, "127.0.0.1:0"
	cfg.PublicURL = "https://rooms.example.com:" + tcp[strings.LastIndex(tcp, ":")+1:]
	srv := startServer(t, cfg)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", "http://"+srv.HTTPAddr().String()+"/r/abc?x=1", nil)
	req.Host = "evil.example.net"
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := cfg.PublicURL + "/r/abc?x=1"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Fatalf("plain HTTP: %d to %q, want 308 to %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	resp, err = noFollow.Post("http://"+srv.HTTPAddr().String()+"/v1/rooms", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a POST in plain HTTP: %d, want 400 (never followed with its body)", resp.StatusCode)
	}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	t.Cleanup(hc.CloseIdleConnections)
	for host, want := range map[string]string{"rooms.example.com": HSTS, "127.0.0.1": ""} {
		req, _ := http.NewRequest("GET", "https://"+tcp+"/healthz", nil)
		req.Host = host
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); resp.StatusCode != http.StatusOK || got != want {
			t.Errorf("https to %s: %d, HSTS %q, want 200 and %q", host, resp.StatusCode, got, want)
		}
	}
}

// TestAutocertStarts: with --tls-domain roomsd keeps its ACME cache in
// DataDir/acme (0700), answers ACME's HTTP-01 path on --http-listen and
// redirects the rest, and refuses a certificate for a name not given.
func TestAutocertStarts(t *testing.T) {
	tcp, udp := freePorts(t)
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = tcp, t.TempDir(), udp
	cfg.TLS.Domains, cfg.TLS.HTTPListen = []string{"rooms.example.com"}, "127.0.0.1:0"
	cfg.TLS.ACMEDirectory = "http://127.0.0.1:1/directory" // never reached here
	srv := startServer(t, cfg)
	st, err := os.Stat(filepath.Join(cfg.DataDir, "acme"))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the ACME cache: %v, %v", st, err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + srv.HTTPAddr().String()
	resp, err := noFollow.Get(base + "/.well-known/acme-challenge/unknown-token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusPermanentRedirect || resp.StatusCode == http.StatusOK {
		t.Errorf("an unknown ACME challenge: %d, want it refused, not redirected", resp.StatusCode)
	}
	resp, err = noFollow.Get(base + "/r/abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "https://rooms.example.com") {
		t.Errorf("plain HTTP: %d to %q, want a redirect to https://rooms.example.com", resp.StatusCode, loc)
	}
	conn, err := tls.Dial("tcp", tcp, &tls.Config{ServerName: "other.example.com", InsecureSkipVerify: true})
	if err == nil {
		conn.Close()
		t.Fatal("a handshake for a name not in --tls-domain succeeded")
	}
}

// TestCheckReadsTheCertificateFiles: roomsd config check refuses a key that
// is not the certificate's, as Start would.
func TestCheckReadsTheCertificateFiles(t *testing.T) {
	ca, cert, key := tlsFiles(t)
	c := Config{Listen: DefaultListen, DataDir: t.TempDir(), MaxParticipants: 50, MaxScreenShares: 10}
	c.TLS.CertFile, c.TLS.KeyFile = cert, key
	if err := c.Check(); err != nil {
		t.Fatalf("Check of a good pair: %v", err)
	}
	otherCert, otherKey := filepath.Join(t.TempDir(), "c.pem"), filepath.Join(t.TempDir(), "k.pem")
	if err := ca.Leaf(9, otherCert, otherKey); err != nil {
		t.Fatal(err)
	}
	c.TLS.KeyFile = otherKey
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("Check of a certificate with another's key = %v", err)
	}
}

func TestEveryTLSDomainIsAnAllowedHost(t *testing.T) {
	c := Config{Listen: ":443", DataDir: t.TempDir(), MaxParticipants: 50, MaxScreenShares: 10, AllowedHosts: []string{"intra.example.com"}}
	c.TLS.Domains = []string{"rooms.example.com", "Video.Example.org"}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	if got, want := c.allowedHosts(), []string{"intra.example.com", "rooms.example.com", "video.example.org"}; !slices.Equal(got, want) {
		t.Fatalf("allowed hosts %v, want %v", got, want)
	}
}
