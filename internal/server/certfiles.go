package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// CertPollInterval is how often roomsd looks whether --tls-cert or
// --tls-key changed on disk (a renewal); SIGHUP reloads them at once.
const CertPollInterval = 10 * time.Second

// certFiles serves the certificate in --tls-cert and --tls-key. Handshakes
// read it through an atomic pointer, so a renewed certificate is served
// from the next handshake on while connections already open (calls) go on.
type certFiles struct {
	certPath, keyPath string
	cur               atomic.Pointer[loadedCert]
}

// loadedCert is one certificate and the state of the files it came from.
type loadedCert struct {
	cert     *tls.Certificate
	stamp    fileStamp
	notAfter time.Time
}

// fileStamp is what says a file changed: its size and modification time.
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// loadCertFiles reads the pair once; an error names what to fix.
func loadCertFiles(certPath, keyPath string) (*certFiles, error) {
	c := &certFiles{certPath: certPath, keyPath: keyPath}
	if _, err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// stamp stats both files.
func (c *certFiles) stamp() (fileStamp, error) {
	cs, err := os.Stat(c.certPath)
	if err != nil {
		return fileStamp{}, fmt.Errorf("--tls-cert: %w", err)
	}
	ks, err := os.Stat(c.keyPath)
	if err != nil {
		return fileStamp{}, fmt.Errorf("--tls-key: %w", err)
	}
	return fileStamp{certMod: cs.ModTime(), keyMod: ks.ModTime(), certSize: cs.Size(), keySize: ks.Size()}, nil
}

// reload reads the files again and serves what they hold from the next
// handshake on; it says whether the certificate changed. On an error the
// certificate in use stays.
func (c *certFiles) reload() (bool, error) {
	st, err := c.stamp()
	if err != nil {
		return false, err
	}
	pair, err := tls.LoadX509KeyPair(c.certPath, c.keyPath)
	if err != nil {
		return false, fmt.Errorf("load the TLS certificate %s and key %s: %w; give a PEM certificate (chain) and its private key", c.certPath, c.keyPath, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return false, fmt.Errorf("parse the TLS certificate %s: %w", c.certPath, err)
	}
	pair.Leaf = leaf
	old := c.cur.Load()
	c.cur.Store(&loadedCert{cert: &pair, stamp: st, notAfter: leaf.NotAfter})
	return old == nil || !sameCert(old.cert, &pair), nil
}

func sameCert(a, b *tls.Certificate) bool {
	return len(a.Certificate) > 0 && len(b.Certificate) > 0 && string(a.Certificate[0]) == string(b.Certificate[0])
}

// changed says whether the files on disk differ from those loaded.
func (c *certFiles) changed() bool {
	st, err := c.stamp()
	return err == nil && st != c.cur.Load().stamp
}

// get is tls.Config.GetCertificate.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load().cert, nil
}

// watch reloads the files when they change, every CertPollInterval until
// ctx ends.
func (c *certFiles) watch(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(CertPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if c.changed() {
				c.reloadAndLog(log)
			}
		}
	}
}

// reloadAndLog reloads and tells the operator what happened.
func (c *certFiles) reloadAndLog(log *slog.Logger) {
	switch fresh, err := c.reload(); {
	case err != nil:
		log.Error("TLS certificate not reloaded; the one in use stays", "err", err)
	case fresh:
		log.Info("TLS certificate reloaded", "file", c.certPath, "not_after", c.cur.Load().notAfter)
	}
}
