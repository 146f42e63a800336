package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// TLSConfig is how roomsd serves HTTPS itself: certificate files it
// reloads when they change, or certificates for Domains from an ACME
// authority (Let's Encrypt unless ACMEDirectory says otherwise), kept in
// the data directory. Neither: plain HTTP (a TLS proxy in front, or
// loopback).
type TLSConfig struct {
	CertFile, KeyFile string
	Domains           []string
	ACMEEmail         string
	// ACMEDirectory is the ACME directory URL (a staging or test
	// authority); empty is Let's Encrypt's production one.
	ACMEDirectory string
	// HTTPListen, when set, answers plain HTTP there with a redirect to
	// the public URL (and ACME's HTTP-01 challenges); DefaultHTTPListen
	// when Domains are given.
	HTTPListen string
}

// DefaultHTTPListen is where plain HTTP is redirected from when roomsd
// gets its own certificates: ACME's HTTP-01 challenge comes to port 80.
const DefaultHTTPListen = ":80"

// HSTS is the Strict-Transport-Security roomsd sends on HTTPS answers to
// names other than loopback ones: a year.
const HSTS = "max-age=31536000"

// On says whether roomsd serves HTTPS.
func (t TLSConfig) On() bool { return t.CertFile != "" || len(t.Domains) > 0 }

// Auto says whether certificates come from an ACME authority.
func (t TLSConfig) Auto() bool { return len(t.Domains) > 0 }

// resolve checks the TLS settings and fills the redirect's default.
func (t *TLSConfig) resolve() error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together: give both files (PEM), or neither")
	}
	if t.CertFile != "" && len(t.Domains) > 0 {
		return fmt.Errorf("--tls-cert and --tls-domain are two ways to get a certificate: give one")
	}
	for i, d := range t.Domains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d == "" || strings.ContainsAny(d, ":/ ") || net.ParseIP(d) != nil || !strings.Contains(d, ".") {
			return fmt.Errorf("--tls-domain %q: give a DNS name that points at this host, such as rooms.example.com", t.Domains[i])
		}
		t.Domains[i] = d
	}
	if !t.Auto() && (t.ACMEEmail != "" || t.ACMEDirectory != "") {
		return fmt.Errorf("--acme-email and --acme-directory are for --tls-domain: give the domain to get a certificate for")
	}
	if t.ACMEDirectory != "" {
		if u, err := url.Parse(t.ACMEDirectory); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("--acme-directory %q must be the URL of an ACME directory, such as https://acme-staging-v02.api.letsencrypt.org/directory", t.ACMEDirectory)
		}
	}
	if t.HTTPListen == "" && t.Auto() {
		t.HTTPListen = DefaultHTTPListen
	}
	if t.HTTPListen != "" {
		if _, _, err := net.SplitHostPort(t.HTTPListen); err != nil {
			return fmt.Errorf("--http-listen %q is not host:port (for example %s): %w", t.HTTPListen, DefaultHTTPListen, err)
		}
	}
	return nil
}

// defaultPublicURL is the base of links when --public-url is not given:
// https with TLS (the first --tls-domain, else the listen address), the
// port left out when it is the scheme's own.
func (c *Config) defaultPublicURL() string {
	if !c.TLS.On() {
		return "http://" + c.advertisedHost()
	}
	hostport := c.advertisedHost()
	host, port, _ := net.SplitHostPort(hostport)
	if c.TLS.Auto() {
		host = c.TLS.Domains[0]
	}
	if port == "443" {
		if strings.Contains(host, ":") {
			return "https://[" + host + "]"
		}
		return "https://" + host
	}
	return "https://" + net.JoinHostPort(host, port)
}

// tlsBase is what every HTTPS listener of roomsd uses: TLS 1.2 at least,
// HTTP/1.1 only (call connections are WebSocket upgrades, which need it).
func tlsBase() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
}

// allowedHosts are the names roomsd answers to besides the public URL's:
// --allowed-host and every --tls-domain (a certificate is got for each, so
// each is a name people use).
func (c *Config) allowedHosts() []string {
	return append(append([]string(nil), c.AllowedHosts...), c.TLS.Domains...)
}
