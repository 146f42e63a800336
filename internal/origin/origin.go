// Package origin says which origins (scheme://host[:port]) a request to
// roomsd may name as the server it is meant for: the public URL's, and
// for a client on this machine talking to a loopback name, that name.
// Signatures (Rooms-Auth and the join) cover the origin the client
// dialled, so a signature made for one server is worthless to another.
package origin

import (
	"net"
	"net/http"
	"strings"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Policy knows the server's own origin.
type Policy struct {
	public string
}

// New makes a Policy for a server whose links start with publicURL.
func New(publicURL string) (Policy, error) {
	o, err := api.CanonicalOrigin(publicURL)
	if err != nil {
		return Policy{}, err
	}
	return Policy{public: o}, nil
}

// Public is the public URL's origin.
func (p Policy) Public() string { return p.public }

// Candidates are the origins a signature on r may name, most likely
// first: the public one, then, when both the Host named and the peer are
// on this machine, the loopback name the client used (roomsd reached as
// http://127.0.0.1:7880 by its own host's CLI while its links say
// https://rooms.example.com).
func (p Policy) Candidates(r *http.Request) []string {
	var out []string
	if p.public != "" {
		out = append(out, p.public)
	}
	if !IsLoopbackHost(r.Host) || !isLoopbackPeer(r.RemoteAddr) {
		return out
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if o, err := api.CanonicalOrigin(scheme + "://" + r.Host); err == nil && o != p.public {
		out = append(out, o)
	}
	return out
}

// IsLoopbackHost says whether a Host header (with or without a port)
// names this machine: localhost or a loopback address.
func IsLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isLoopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
