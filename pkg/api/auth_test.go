package api

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
)

func TestCanonicalOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:7880", "http://127.0.0.1:7880"},
		{"HTTPS://Rooms.Example.com:443/r/abc", "https://rooms.example.com"},
		{"http://rooms.example.com:80", "http://rooms.example.com"},
		{"http://rooms.example.com:443", "http://rooms.example.com:443"},
		{"https://[::1]:7880/x?y", "https://[::1]:7880"},
		{"http://rooms.example.com/", "http://rooms.example.com"},
	}
	for _, tt := range tests {
		got, err := CanonicalOrigin(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "rooms.example.com", "ftp://x", "http://"} {
		if got, err := CanonicalOrigin(bad); err == nil {
			t.Errorf("CanonicalOrigin(%q) = %q, want an error", bad, got)
		}
	}
}

// TestAuthCoversEveryPart: changing any part of the request, or the
// nonce, breaks the signature.
func TestAuthCoversEveryPart(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	req := AuthRequest{Origin: "https://a.example", Method: "POST", Target: "/v1/handles?x=1", Body: []byte(`{"handle":"ann"}`)}
	h := SignAuth(key, req, now)
	if _, err := VerifyAuth(h, req, now); err != nil {
		t.Fatalf("the request as signed: %v", err)
	}
	changed := map[string]AuthRequest{
		"origin": {Origin: "https://b.example", Method: req.Method, Target: req.Target, Body: req.Body},
		"method": {Origin: req.Origin, Method: "DELETE", Target: req.Target, Body: req.Body},
		"query":  {Origin: req.Origin, Method: req.Method, Target: "/v1/handles?x=2", Body: req.Body},
		"body":   {Origin: req.Origin, Method: req.Method, Target: req.Target, Body: []byte(`{"handle":"bob"}`)},
	}
	for what, r := range changed {
		if _, err := VerifyAuth(h, r, now); err == nil {
			t.Errorf("a signature still passed with another %s", what)
		}
	}
	parts := strings.Fields(h)
	parts[3] = "AAAAAAAAAAAAAAAAAAAAAA"
	if _, err := VerifyAuth(strings.Join(parts, " "), req, now); err == nil {
		t.Error("a signature still passed with another nonce")
	}
	if _, err := VerifyAuth(h, req, now.Add(AuthWindow+time.Minute)); err == nil {
		t.Error("a signature passed after its window")
	}
}
