package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestStaticVendor: every file of the vendored libraries is served as
// JavaScript (go:embed leaves out names starting with "_" unless they are
// named), with their licences, and no folder is listed.
func TestStaticVendor(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		path     string
		want     int
		wantType string
	}{
		{"/static/ed25519.js", 200, "javascript"},
		{"/static/vendor/noble-ed25519/index.js", 200, "javascript"},
		{"/static/vendor/noble-hashes/sha2.js", 200, "javascript"},
		{"/static/vendor/noble-hashes/_md.js", 200, "javascript"},
		{"/static/vendor/noble-hashes/_u64.js", 200, "javascript"},
		{"/static/vendor/noble-hashes/utils.js", 200, "javascript"},
		{"/static/vendor/noble-ed25519/LICENSE", 200, "text/plain"},
		{"/static/vendor/noble-hashes/LICENSE", 200, "text/plain"},
		{"/static/vendor/", 404, "problem"},
		{"/static/vendor", 404, "problem"},
		{"/static/vendor/noble-hashes/", 404, "problem"},
	}
	for _, tt := range tests {
		resp, err := http.Get(e.srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.Contains(resp.Header.Get("Content-Type"), tt.wantType) {
			t.Errorf("GET %s: %d %s, want %d %s; body starts %.80q", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.want, tt.wantType, body)
		}
	}
}
