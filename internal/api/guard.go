package api

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rooms-dev/rooms/internal/clientaddr"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// probes are the routes health checks use: they reach roomsd by whatever
// address they have, as often as they like, so they are neither refused
// for their Host nor rate-limited.
var probes = map[string]bool{"GET /healthz": true, "GET /readyz": true}

// guard keeps other web sites out of a roomsd the browser can reach (one
// on the user's own machine, say):
//
//   - the Host must be a name roomsd answers to, so a page whose domain
//     was re-pointed at roomsd's address (DNS rebinding) is not served;
//   - a request from a web page (it carries Origin, or Sec-Fetch-Site
//     says it is cross-site) that changes something, or opens a call's
//     WebSocket, must come from roomsd's own origin;
//   - request bodies are JSON, which a page of another origin cannot send
//     without asking first (a CORS preflight roomsd never grants).
//
// Programs (the CLI, curl) send no Origin and are not affected.
type guard struct {
	// publicHost is the public URL's host name, lower case.
	publicHost string
	// publicOrigin is the public URL's origin (scheme://host[:port]).
	publicOrigin string
	// allowed are the other names of --allowed-host, lower case.
	allowed map[string]bool
}

func newGuard(publicURL string, allowed []string) guard {
	g := guard{allowed: map[string]bool{}}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
		g.publicHost = hostName(u.Host)
		g.publicOrigin = originOf(u.Scheme, u.Host)
	}
	for _, h := range allowed {
		if n := hostName(strings.TrimSpace(h)); n != "" {
			g.allowed[n] = true
		}
	}
	return g
}

// check returns the problem a request is refused with, or nil.
func (g guard) check(r *http.Request, c clientaddr.Client) *apitypes.Problem {
	if !g.hostAllowed(r.Host) {
		return problem(apitypes.CodeUnknownHost,
			"this server answers to %s, not to %q; if people reach it by that name, start roomsd with --allowed-host %s",
			g.names(), clip(r.Host), clip(hostName(r.Host)))
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			return nil
		}
	}
	if p := g.checkOrigin(r, c); p != nil {
		return p
	}
	if r.ContentLength != 0 && r.Method != http.MethodGet && r.Method != http.MethodHead {
		ct := r.Header.Get("Content-Type")
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			got := "it had none"
			if ct != "" {
				got = "not " + strconv.Quote(clip(ct))
			}
			return problem(apitypes.CodeUnsupportedMediaType,
				"send the request body as JSON with Content-Type: application/json (%s)", got)
		}
	}
	return nil
}

// hostAllowed says whether roomsd answers to host: its public URL's name,
// an --allowed-host name, localhost, or any IP address, with any port. A
// rebinding attack needs a name the attacker controls; an address in the
// Host header means the browser itself thinks it talks to that address.
// A request without a Host (HTTP/1.0) comes from no browser.
func (g guard) hostAllowed(host string) bool {
	if host == "" {
		return true
	}
	name := hostName(host)
	if name == "localhost" || name == g.publicHost || g.allowed[name] {
		return true
	}
	_, err := netip.ParseAddr(name)
	return err == nil
}

// names lists what roomsd answers to, for the refusal.
func (g guard) names() string {
	var n []string
	if g.publicHost != "" {
		n = append(n, g.publicHost)
	}
	var more []string
	for h := range g.allowed {
		if h != g.publicHost {
			more = append(more, h)
		}
	}
	slices.Sort(more)
	n = append(n, more...)
	return strings.Join(append(n, "localhost and IP addresses"), ", ")
}

// checkOrigin refuses a request a web page of another origin sent.
func (g guard) checkOrigin(r *http.Request, c clientaddr.Client) *apitypes.Problem {
	o := r.Header.Get("Origin")
	if o == "" {
		switch strings.ToLower(r.Header.Get("Sec-Fetch-Site")) {
		case "cross-site", "same-site":
			return problem(apitypes.CodeCrossOrigin,
				"a page of another site cannot change anything on this server; use roomsd's own pages or the rooms CLI")
		}
		return nil
	}
	own := g.ownOrigin(r, c)
	if o = strings.ToLower(o); o == g.publicOrigin || o == own {
		return nil
	}
	return problem(apitypes.CodeCrossOrigin,
		"a page at %q cannot change anything on this server or join its calls; only roomsd's own pages (%s) can, and programs that send no Origin",
		clip(o), own)
}

// ownOrigin is the origin the request was sent to: its scheme (TLS, or a
// trusted proxy's X-Forwarded-Proto) and Host.
func (g guard) ownOrigin(r *http.Request, c clientaddr.Client) string {
	scheme := "http"
	if c.HTTPS {
		scheme = "https"
	}
	return originOf(scheme, r.Host)
}

// originOf is scheme://host as browsers write it in Origin (and as
// signatures name a server): lower case, without the scheme's default port.
func originOf(scheme, host string) string {
	o, err := apitypes.CanonicalOrigin(scheme + "://" + host)
	if err != nil {
		return strings.ToLower(scheme + "://" + host)
	}
	return o
}

// hostName is host without its port or brackets, lower case, without a
// final dot.
func hostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return strings.TrimSuffix(strings.ToLower(host), ".")
}

// clip bounds a client's text echoed in a problem.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
