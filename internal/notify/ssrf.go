package notify

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// Address ranges that netip has no predicate for. Everything else in the
// forbidden set (loopback, RFC 1918/4193 private, link-local, unspecified,
// multicast) is covered by netip.Addr methods.
var (
	// ssrfCGNAT is the RFC 6598 shared address space. It is not "private" to
	// netip, but it is the inside of carrier and cloud NATs (Tailscale uses
	// it too), so a webhook there reaches hosts the operator did not publish.
	ssrfCGNAT = netip.MustParsePrefix("100.64.0.0/10")
	// ssrfThisNetwork is 0.0.0.0/8; Linux routes connections to it to the
	// local host, so it is as dangerous as loopback.
	ssrfThisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	// ssrfIPv4Compatible is the deprecated ::a.b.c.d form. No legitimate
	// receiver uses it, and some stacks translate it to the IPv4 address.
	ssrfIPv4Compatible = netip.MustParsePrefix("::/96")
	ssrfBroadcast      = netip.AddrFrom4([4]byte{255, 255, 255, 255})
)

// ssrfForbiddenNetwork says which forbidden network addr points to, phrased
// to follow "points to", or "" if webhooks may connect to it.
func ssrfForbiddenNetwork(addr netip.Addr) string {
	// IPv4-mapped IPv6 (::ffff:127.0.0.1) reaches the IPv4 host, so judge the
	// IPv4 address. The zone of a link-local literal does not change its class.
	addr = addr.WithZone("").Unmap()
	switch {
	case !addr.IsValid():
		return "an invalid address"
	case addr.IsLoopback():
		return "the loopback interface"
	case addr.IsUnspecified(), ssrfThisNetwork.Contains(addr):
		return "an unspecified address (this host)"
	case addr.IsPrivate():
		return "a private network"
	case addr.IsLinkLocalUnicast():
		return "a link-local network (where cloud metadata services live)"
	case addr.IsMulticast(), addr == ssrfBroadcast:
		return "a multicast or broadcast address"
	case ssrfCGNAT.Contains(addr):
		return "carrier-grade NAT space (100.64.0.0/10)"
	case ssrfIPv4Compatible.Contains(addr):
		return "a deprecated IPv4-compatible IPv6 address"
	}
	return ""
}

// ssrfBlockedError is the error the dialer's Control function returns for a
// forbidden remote address. Send recognises it (errors.As through the
// net.OpError and url.Error wrappers) to make the failure non-retryable:
// the address will not become allowed by waiting.
type ssrfBlockedError struct {
	addr    netip.Addr
	network string // result of ssrfForbiddenNetwork
}

func (e *ssrfBlockedError) Error() string {
	return fmt.Sprintf("webhook target resolved to %s, which points to %s; roomsd refuses those unless started with --webhook-allow-private",
		e.addr, e.network)
}

// ssrfControl is the net.Dialer Control function of a sender that does not
// allow private targets. It runs after DNS resolution, for every connection
// attempt, with the literal remote IP, so a public name that resolves (or
// rebinds) to a private address is refused before any byte is sent.
func ssrfControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: an address we cannot judge is not dialled.
		return fmt.Errorf("webhook dial: cannot check remote address %q (%s): %w", address, network, err)
	}
	if n := ssrfForbiddenNetwork(ap.Addr()); n != "" {
		return &ssrfBlockedError{addr: ap.Addr().WithZone(""), network: n}
	}
	return nil
}

// ssrfExampleURL is shown in error messages so operators see the expected form.
const ssrfExampleURL = "https://hooks.example.com/rooms"

// CheckURL validates a webhook URL when it is configured, so mistakes are
// reported at configuration time rather than as failed deliveries. The URL
// must use http or https, name a host, and carry no userinfo. Unless
// allowPrivate is set, the host must not be an IP literal in a forbidden
// network (loopback, private, link-local, unspecified, multicast, CGNAT,
// or IPv4-mapped forms of those) nor a localhost name.
//
// CheckURL cannot see what a DNS name will resolve to; the sender enforces
// the same rule again on every connection. Error messages do not repeat the
// URL, because its path or query may hold a receiver's token.
func CheckURL(raw string, allowPrivate bool) error {
	if strings.TrimSpace(raw) == "" {
		return fmt.Errorf("webhook URL is empty; give a full URL such as %s", ssrfExampleURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL; report only the cause.
		if ue, ok := err.(*url.Error); ok {
			err = ue.Err
		}
		return fmt.Errorf("webhook URL cannot be parsed (%v); give a full URL such as %s", err, ssrfExampleURL)
	}
	switch u.Scheme { // url.Parse lower-cases the scheme
	case "http", "https":
	case "":
		return fmt.Errorf("webhook URL has no scheme; start it with https:// (or http://), as in %s", ssrfExampleURL)
	default:
		return fmt.Errorf("webhook URL scheme %q is not supported; use https:// (or http://)", u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("webhook URL contains a user name or password; remove it: receivers authenticate deliveries by the webhook-signature header")
	}
	host := u.Hostname()
	if u.Opaque != "" || host == "" {
		return fmt.Errorf("webhook URL has no host; give a full URL such as %s", ssrfExampleURL)
	}
	if p := u.Port(); p != "" {
		// url.Parse checks that the port is all digits, not its range.
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("webhook URL port %q is not a valid port (1-65535)", p)
		}
	}
	addr, err := netip.ParseAddr(host)
	if err != nil && ssrfLooksNumeric(host) {
		// Forms like 2130706433, 0x7f.1 or 127.1 are accepted by some
		// resolvers as IPv4 addresses; refusing them keeps the literal check
		// from being sidestepped and keeps configurations unambiguous.
		return fmt.Errorf("webhook URL host %q looks like an IP address in a non-standard form; write it in dotted decimal (like 203.0.113.7) or use a DNS name", host)
	}
	if allowPrivate {
		return nil
	}
	if err == nil {
		if n := ssrfForbiddenNetwork(addr); n != "" {
			return fmt.Errorf("webhook URL host %s points to %s; roomsd refuses those unless started with --webhook-allow-private", addr.WithZone(""), n)
		}
		return nil
	}
	if h := strings.TrimSuffix(strings.ToLower(host), "."); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		// RFC 6761: localhost names always resolve to loopback.
		return fmt.Errorf("webhook URL host %q points to the loopback interface; roomsd refuses those unless started with --webhook-allow-private", host)
	}
	return nil
}

// ssrfLooksNumeric reports whether host, which is not a standard IP literal,
// would be read as an IPv4 address by inet_aton-style parsers: its last label
// is all digits or a 0x hex number. No public DNS name ends that way, since
// top-level domains are never numeric.
func ssrfLooksNumeric(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	digits := last
	if len(last) > 2 && (last[:2] == "0x" || last[:2] == "0X") {
		digits = last[2:]
		for _, c := range digits {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		return true
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
