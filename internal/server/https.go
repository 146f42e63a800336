package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/rooms-dev/rooms/internal/origin"
)

// httpsSetup is what serving HTTPS needs: the listener's tls.Config, the
// certificate files when they are given (reloaded), and the handler of
// plain HTTP on --http-listen (nil when there is none).
type httpsSetup struct {
	config   *tls.Config
	files    *certFiles
	redirect http.Handler
}

// newHTTPS makes roomsd's TLS from cfg: certificate files, or an ACME
// manager whose cache is DataDir/acme. It is nil without TLS.
func newHTTPS(cfg Config) (*httpsSetup, error) {
	t := cfg.TLS
	if !t.On() {
		return nil, nil
	}
	h := &httpsSetup{config: tlsBase()}
	redirect := redirectTo(cfg.PublicURL)
	if t.Auto() {
		dir := filepath.Join(cfg.DataDir, "acme")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("the ACME certificate cache %s: %w", dir, err)
		}
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      autocert.DirCache(dir),
			HostPolicy: autocert.HostWhitelist(t.Domains...),
			Email:      t.ACMEEmail,
		}
		if t.ACMEDirectory != "" {
			m.Client = &acme.Client{DirectoryURL: t.ACMEDirectory}
		}
		h.config.GetCertificate = m.GetCertificate
		// TLS-ALPN-01 challenges arrive on the HTTPS port itself.
		h.config.NextProtos = append(h.config.NextProtos, acme.ALPNProto)
		h.redirect = m.HTTPHandler(redirect)
		return h, nil
	}
	files, err := loadCertFiles(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, err
	}
	h.files, h.config.GetCertificate = files, files.get
	if t.HTTPListen != "" {
		h.redirect = redirect
	}
	return h, nil
}

// redirectTo answers plain HTTP with a permanent redirect to the same path
// under publicURL (never to the Host the request named, which anyone can
// set).
func redirectTo(publicURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "this is roomsd's plain HTTP port: use "+publicURL, http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, publicURL+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// withHSTS adds Strict-Transport-Security to answers over roomsd's own TLS,
// except to loopback names (a browser would pin https on localhost for
// every program there).
func withHSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && !origin.IsLoopbackHost(r.Host) {
			w.Header().Set("Strict-Transport-Security", HSTS)
		}
		next.ServeHTTP(w, r)
	})
}

// plainHTTPWarning is told at start when roomsd listens beyond this machine
// in plain HTTP with no proxy that could be terminating TLS ("" otherwise).
func plainHTTPWarning(cfg Config) string {
	if cfg.Loopback() || cfg.TLS.On() || len(cfg.TrustedProxies) > 0 || strings.HasPrefix(cfg.PublicURL, "https://") {
		return ""
	}
	return "roomsd listens beyond this machine in plain HTTP: browsers share a camera and microphone only with a secure (https) page, " +
		"so people joining from a browser will not be able to send video or sound. " +
		"Serve HTTPS: --tls-domain NAME (a certificate from Let's Encrypt), --tls-cert FILE --tls-key FILE, " +
		"or a TLS proxy in front with --trusted-proxy ADDRESS and --public-url https://NAME"
}

// logPlainHTTP logs plainHTTPWarning when there is one.
func logPlainHTTP(cfg Config, log *slog.Logger) {
	if w := plainHTTPWarning(cfg); w != "" {
		log.Warn(w, "listen", cfg.Listen)
	}
}

// listenHTTP takes --http-listen's address, saying what to do when it
// cannot.
func listenHTTP(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http-listen %s (plain HTTP, redirected to HTTPS and used by ACME's HTTP-01 challenge): %w; "+
			"pick another address, or let roomsd bind port 80 (setcap cap_net_bind_service, or the systemd unit's AmbientCapabilities)", addr, err)
	}
	return ln, nil
}

// serveRedirect serves h on ln until ctx ends.
func serveRedirect(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, MaxHeaderBytes: 16 << 10}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("plain HTTP listener: %w", err)
	}
	return nil
}

// HTTPAddr is where plain HTTP is redirected from, or nil.
func (s *Server) HTTPAddr() net.Addr {
	if s.httpLn == nil {
		return nil
	}
	return s.httpLn.Addr()
}
