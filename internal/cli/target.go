package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/rooms-dev/rooms/pkg/client"
)

// client returns a REST client for server.
func (f *Factory) client(server string) (*client.Client, error) {
	c, err := client.New(server, client.WithCreateToken(f.createToken), client.WithUserAgent("rooms-cli"))
	if err != nil {
		return nil, usageErr("--server: %w", err)
	}
	return c, nil
}

// defaultClient is the client for --server / ROOMS_SERVER / the default.
func (f *Factory) defaultClient() (*client.Client, error) { return f.client(f.server) }

// target is a room named on the command line, with the client for its server.
type target struct {
	c  *client.Client
	id string
}

// resolve reads a ROOM argument. A link carries its server; a bare id uses
// --server. A link and an explicit --server that disagree are refused
// rather than guessed between.
func (f *Factory) resolve(arg string) (*target, error) {
	ref, err := client.ParseRoomRef(arg)
	if err != nil {
		return nil, usageErr("%w", err)
	}
	server := f.server
	if ref.Server != "" {
		if f.serverSet {
			want, err1 := client.ParseServer(f.server)
			got, err2 := client.ParseServer(ref.Server)
			if err1 == nil && err2 == nil && want.String() != got.String() {
				return nil, usageErr("the link is for %s but --server (or ROOMS_SERVER) says %s; drop one of them", got, want)
			}
		}
		server = ref.Server
	}
	c, err := f.client(server)
	if err != nil {
		return nil, err
	}
	return &target{c: c, id: ref.ID}, nil
}

// resolveHost reads a ROOM argument and finds this user's host key for
// it: what every host command starts with.
func (f *Factory) resolveHost(arg, flagKey string) (*target, string, error) {
	t, err := f.resolve(arg)
	if err != nil {
		return nil, "", err
	}
	key, err := f.hostKey(t, flagKey)
	if err != nil {
		return nil, "", err
	}
	return t, key, nil
}

// hostKey finds the host key for t: the flag, ROOMS_HOST_KEY, or the one
// saved when this user created the room on t's server. A saved key goes
// only to the server it was made on (see hostKeys.Get).
func (f *Factory) hostKey(t *target, flagKey string) (string, error) {
	if flagKey != "" {
		return flagKey, nil
	}
	if k := f.Getenv("ROOMS_HOST_KEY"); k != "" {
		return k, nil
	}
	keys, err := f.hostKeys()
	if err != nil {
		return "", err
	}
	k, elsewhere, err := keys.Get(t.c.Origin(), t.id)
	if err != nil {
		return "", err
	}
	if k != "" {
		return k, nil
	}
	if len(elsewhere) > 0 {
		return "", refusedErr("the host key you hold for room %s belongs to %s, and this link names %s: rooms sends a host key only to the server that made it. If %s is that same server under another name, pass --host-key", t.id, strings.Join(elsewhere, " and "), t.c.Origin(), t.c.Origin())
	}
	return "", refusedErr("you do not hold the host key for room %s: it is kept where the room was created (%s); run the command there or pass --host-key", t.id, keys.Path())
}

// savedHostKey is the key saved for t's room on t's server, or "": for
// commands that show the host more but work without the key.
func (f *Factory) savedHostKey(t *target) string {
	keys, err := f.hostKeys()
	if err != nil {
		return ""
	}
	k, _, _ := keys.Get(t.c.Origin(), t.id)
	return k
}

func (f *Factory) hostKeys() (*hostKeys, error) {
	dir, err := f.StateDir()
	if err != nil {
		return nil, err
	}
	return openHostKeys(dir), nil
}

// explain rewrites transport failures into what the user should do.
func explain(server string, err error) error {
	if !errors.Is(err, client.ErrUnreachable) {
		return err
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return &exitError{code: ExitUnreachable, err: fmt.Errorf(
			"cannot reach roomsd at %s: its TLS certificate is not trusted (%v). "+
				"If it is signed by your own authority, point SSL_CERT_FILE at that authority's certificate (PEM)", server, certErr.Err)}
	}
	reason := "no answer"
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.As(err, &dnsErr):
		reason = "no such host"
	case errors.As(err, &netErr) && netErr.Timeout():
		reason = "timed out"
	}
	return &exitError{code: ExitUnreachable, err: fmt.Errorf(
		"cannot reach roomsd at %s (%s). Is roomsd running? Start it with `roomsd serve`, or point --server / ROOMS_SERVER at it", server, reason)}
}
