// Package clientaddr says who sent a request: the TCP peer, or, when the
// peer is a proxy the operator trusts, the address that proxy reports in
// X-Forwarded-For. Rate limits, connection caps and logs all count by it.
package clientaddr

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Client is who sent a request, as far as roomsd can tell.
type Client struct {
	// Addr is the client's IP address; invalid when the peer address could
	// not be read (a test's fake RemoteAddr, say).
	Addr netip.Addr
	// HTTPS says the client reached roomsd over TLS: roomsd's own, or a
	// trusted proxy's that said so in X-Forwarded-Proto.
	HTTPS bool
}

// String is the address as logs show it.
func (c Client) String() string {
	if !c.Addr.IsValid() {
		return "unknown"
	}
	return c.Addr.String()
}

// Key is what limits count by: the IPv4 address, or the /64 an IPv6
// address is in, since one household or host is handed a whole /64 and
// could otherwise take a fresh address for every request.
func (c Client) Key() string {
	a := c.Addr
	if !a.IsValid() {
		return "unknown"
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// Proxies is the set of proxies whose forwarding headers roomsd believes.
// The zero value trusts none.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads --trusted-proxy values: CIDR ranges (10.0.0.0/8) or
// single addresses (10.0.0.5).
func ParseProxies(values []string) (Proxies, error) {
	var p Proxies
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if pre, err := netip.ParsePrefix(v); err == nil {
			p.nets = append(p.nets, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return Proxies{}, fmt.Errorf("--trusted-proxy %q is not an IP address or CIDR range (such as 10.0.0.0/8 or 127.0.0.1)", v)
		}
		a = a.Unmap()
		p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

// Trusts says whether a is one of the trusted proxies.
func (p Proxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve says who sent r. When the TCP peer is a trusted proxy, the
// client is the rightmost X-Forwarded-For address that is not itself a
// trusted proxy (each proxy appends the address it got the request from,
// so everything left of that is the client's own say and not believed),
// and X-Forwarded-Proto says whether it came over TLS. Otherwise the
// client is the peer and forwarding headers are ignored.
func (p Proxies) Resolve(r *http.Request) Client {
	c := Client{Addr: peer(r), HTTPS: r.TLS != nil}
	if !c.Addr.IsValid() || !p.Trusts(c.Addr) {
		return c
	}
	hops := forwarded(r.Header.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			// A hop no proxy would write: stop at the last one believed.
			break
		}
		c.Addr = a
		if !p.Trusts(a) {
			break
		}
	}
	if proto := lastValue(r.Header.Values("X-Forwarded-Proto")); proto != "" {
		c.HTTPS = strings.EqualFold(proto, "https")
	}
	return c
}

// peer is the TCP peer's address.
func peer(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

// forwarded splits X-Forwarded-For headers (several are one list).
func forwarded(values []string) []string {
	var hops []string
	for _, v := range values {
		for h := range strings.SplitSeq(v, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	return hops
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a
// port or in brackets.
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap(), true
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	return netip.Addr{}, false
}

func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

type ctxKey struct{}

// With returns ctx carrying c, so handlers further in read the client the
// outermost middleware resolved.
func With(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// From is who sent r: what the middleware resolved, or else the TCP peer
// (a handler served without it trusts no proxy).
func From(r *http.Request) Client {
	if c, ok := r.Context().Value(ctxKey{}).(Client); ok {
		return c
	}
	return Client{Addr: peer(r), HTTPS: r.TLS != nil}
}
