package clientaddr_test

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/clientaddr"
)

func TestResolve(t *testing.T) {
	proxies, err := clientaddr.ParseProxies([]string{"10.0.0.0/8", "127.0.0.1", "2001:db8:ff::/48"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		peer      string
		xff       []string
		proto     string
		tls       bool
		wantAddr  string
		wantHTTPS bool
	}{
		{"a direct client is its peer", "203.0.113.9:5000", nil, "", false, "203.0.113.9", false},
		{"an untrusted peer's forwarding headers are ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "https", false, "203.0.113.9", false},
		{"behind a trusted proxy the client is what it forwarded for", "10.0.0.5:40000", []string{"198.51.100.1"}, "https", false, "198.51.100.1", true},
		{"what the client wrote itself, left of the proxy's entry, is not believed", "10.0.0.5:40000", []string{"1.2.3.4, 198.51.100.1"}, "", false, "198.51.100.1", false},
		{"a chain of trusted proxies is walked from the right", "127.0.0.1:40000", []string{"1.2.3.4, 198.51.100.7, 10.1.1.1", "10.2.2.2"}, "", false, "198.51.100.7", false},
		{"only trusted hops: the leftmost", "10.0.0.5:40000", []string{"10.9.9.9, 10.1.1.1"}, "", false, "10.9.9.9", false},
		{"a hop no proxy writes stops the walk at the last believed one", "10.0.0.5:40000", []string{"198.51.100.7, <script>, 10.1.1.1"}, "", false, "10.1.1.1", false},
		{"an empty header is the peer", "10.0.0.5:40000", []string{""}, "", false, "10.0.0.5", false},
		{"hops with ports and brackets", "10.0.0.5:40000", []string{"[2001:db8::1]:4711"}, "", false, "2001:db8::1", false},
		{"an IPv4-mapped peer matches IPv4 ranges", "[::ffff:10.0.0.5]:40000", []string{"198.51.100.1"}, "", false, "198.51.100.1", false},
		{"an IPv6 proxy range", "[2001:db8:ff::1]:40000", []string{"198.51.100.1"}, "", false, "198.51.100.1", false},
		{"roomsd's own TLS", "203.0.113.9:5000", nil, "", true, "203.0.113.9", true},
		{"a trusted proxy saying http over roomsd's TLS", "10.0.0.5:40000", nil, "http", true, "10.0.0.5", false},
		{"the last X-Forwarded-Proto is the nearest proxy's", "10.0.0.5:40000", nil, "http, https", false, "10.0.0.5", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			c := proxies.Resolve(r)
			if c.String() != tt.wantAddr || c.HTTPS != tt.wantHTTPS {
				t.Fatalf("got %s (https %v), want %s (https %v)", c, c.HTTPS, tt.wantAddr, tt.wantHTTPS)
			}
		})
	}
}

func TestNoProxiesTrustsNone(t *testing.T) {
	var none clientaddr.Proxies
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if c := none.Resolve(r); c.String() != "127.0.0.1" {
		t.Fatalf("got %s", c)
	}
}

func TestParseProxies(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.1:80"} {
		if _, err := clientaddr.ParseProxies([]string{bad}); err == nil || !strings.Contains(err.Error(), "--trusted-proxy") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	p, err := clientaddr.ParseProxies([]string{" 10.1.2.3/8 ", ""})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.200.0.1:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if c := p.Resolve(r); c.String() != "198.51.100.1" {
		t.Fatalf("a range given with host bits: %s", c)
	}
}

func TestKey(t *testing.T) {
	tests := []struct{ peer, want string }{
		{"203.0.113.9:1", "203.0.113.9"},
		{"[2001:db8:1:2:aaaa::1]:1", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::7]:1", "2001:db8:1:2::/64"},
		{"pipe", "unknown"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		if got := clientaddr.From(r).Key(); got != tt.want {
			t.Errorf("%s: key %s, want %s", tt.peer, got, tt.want)
		}
	}
}

func TestFromReadsWhatWasResolved(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.5:1"
	p, _ := clientaddr.ParseProxies([]string{"10.0.0.0/8"})
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	r = r.WithContext(clientaddr.With(context.Background(), p.Resolve(r)))
	if c := clientaddr.From(r); c.String() != "198.51.100.1" {
		t.Fatalf("got %s", c)
	}
}
