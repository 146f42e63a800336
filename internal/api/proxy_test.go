package api_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/clientaddr"
)

// syncBuffer is a log sink the server's goroutines may write at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tightRate(c *api.Config) {
	c.Rate = api.Rate{PerSecond: 1, Burst: 2, CreatesPerMinute: 1, CreateBurst: 1}
}

func from(addr string) rawRequest {
	return rawRequest{method: "GET", path: "/v1/info", header: map[string]string{"X-Forwarded-For": addr}}
}

// Behind the TLS proxy the docs describe, every user reached roomsd from
// the proxy's address and shared one bucket.
func TestClientsBehindATrustedProxyHaveTheirOwnBuckets(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, func(c *api.Config) {
		tightRate(c)
		c.TrustedProxies, _ = clientaddr.ParseProxies([]string{"127.0.0.0/8"})
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for i := range 2 {
		if status, _, _ := e.send(t, from("198.51.100.1")); status != 200 {
			t.Fatalf("request %d from the first client: %d", i+1, status)
		}
	}
	if status, _, _ := e.send(t, from("198.51.100.1")); status != 429 {
		t.Fatalf("the first client past its burst: %d, want 429", status)
	}
	// The clock stands still: only a bucket of its own lets the second in.
	if status, _, _ := e.send(t, from("198.51.100.2")); status != 200 {
		t.Fatalf("a second client behind the same proxy: %d, want 200", status)
	}
	// A client cannot pick another address by writing one before the proxy's.
	if status, _, _ := e.send(t, from("203.0.113.50, 198.51.100.1")); status != 429 {
		t.Fatalf("the first client naming another address itself: %d, want 429", status)
	}
	if l := logs.String(); !strings.Contains(l, "addr=198.51.100.2") {
		t.Fatalf("the request log lacks the forwarded client address:\n%s", l)
	}
}

func TestAnUntrustedPeersForwardingIsIgnored(t *testing.T) {
	e := newEnv(t, tightRate)
	for i := range 2 {
		if status, _, _ := e.send(t, from("198.51.100."+itoa(int64(i+1)))); status != 200 {
			t.Fatalf("request %d: %d", i+1, status)
		}
	}
	if status, _, _ := e.send(t, from("198.51.100.3")); status != 429 {
		t.Fatalf("a third address named by an untrusted peer: %d, want 429 (one bucket for the peer)", status)
	}
}

// /healthz answered 429 after a burst from the prober's address.
func TestProbesAreNeverRateLimited(t *testing.T) {
	e := newEnv(t, tightRate)
	for range 3 {
		e.send(t, rawRequest{method: "GET", path: "/v1/info"})
	}
	if status, _, _ := e.send(t, rawRequest{method: "GET", path: "/v1/info"}); status != 429 {
		t.Fatalf("after the burst: %d, want 429", status)
	}
	for range 10 {
		for _, p := range []string{"/healthz", "/readyz"} {
			if status, code, _ := e.send(t, rawRequest{method: "GET", path: p}); status != 200 {
				t.Fatalf("%s after a burst: %d %s, want 200", p, status, code)
			}
		}
	}
}
