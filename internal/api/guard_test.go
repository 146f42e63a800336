package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/api"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// rawRequest is one request as a browser or a script would send it.
type rawRequest struct {
	method, path, body string
	host               string
	header             map[string]string
}

// send sends rr to the env's server and returns the status and, when the
// answer is a problem, its code.
func (e *env) send(t *testing.T, rr rawRequest) (int, apitypes.Code, string) {
	t.Helper()
	req, err := http.NewRequest(rr.method, e.srv.URL+rr.path, strings.NewReader(rr.body))
	if err != nil {
		t.Fatal(err)
	}
	if rr.host != "" {
		req.Host = rr.host
	}
	for k, v := range rr.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p apitypes.Problem
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("a problem that is not JSON: %s", b)
		}
	}
	return resp.StatusCode, p.Code, p.Detail
}

// A page on another site must not change anything on a roomsd the
// browser can reach, on the user's own machine above all.
func TestCrossSiteRequestsAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	own := e.srv.URL // http://127.0.0.1:PORT, the server's own origin
	json := map[string]string{"Content-Type": "application/json"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name     string
		rr       rawRequest
		want     int
		wantCode apitypes.Code
	}{
		{"a cross-origin text/plain POST (a simple request, no preflight) is refused",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", "http://evil.example", "Content-Type", "text/plain")}, 403, apitypes.CodeCrossOrigin},
		{"a cross-origin JSON POST is refused",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", "http://evil.example", "Content-Type", "application/json")}, 403, apitypes.CodeCrossOrigin},
		{"a cross-origin POST without a body is refused",
			rawRequest{method: "POST", path: "/v1/rooms", header: with("Origin", "http://evil.example")}, 403, apitypes.CodeCrossOrigin},
		{"the same host on another port is another origin",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", "http://127.0.0.1:1", "Content-Type", "application/json")}, 403, apitypes.CodeCrossOrigin},
		{"https is another origin than http",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", strings.Replace(own, "http:", "https:", 1), "Content-Type", "application/json")}, 403, apitypes.CodeCrossOrigin},
		{"a sandboxed page's null origin is refused",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", "null", "Content-Type", "application/json")}, 403, apitypes.CodeCrossOrigin},
		{"a cross-site fetch metadata without Origin is refused",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Sec-Fetch-Site", "cross-site", "Content-Type", "application/json")}, 403, apitypes.CodeCrossOrigin},
		{"a text/plain body without Origin is unsupported",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Content-Type", "text/plain")}, 415, apitypes.CodeUnsupportedMediaType},
		{"a form body is unsupported",
			rawRequest{method: "POST", path: "/v1/handles", body: `handle=ann`, header: with("Content-Type", "application/x-www-form-urlencoded")}, 415, apitypes.CodeUnsupportedMediaType},
		{"a body without a Content-Type is unsupported",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`}, 415, apitypes.CodeUnsupportedMediaType},
		{"a PATCH body must be JSON too",
			rawRequest{method: "PATCH", path: "/v1/rooms/aaaaaaaaaaaaaaaaaaaaaaaaaa", body: `{}`, header: with("Content-Type", "text/plain")}, 415, apitypes.CodeUnsupportedMediaType},
		{"the server's own page may create a room",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", own, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")}, 201, ""},
		{"so may a page from the public URL (behind a proxy)",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: with("Origin", "http://rooms.test", "Content-Type", "application/json; charset=utf-8")}, 201, ""},
		{"a program sends no Origin and may create a room",
			rawRequest{method: "POST", path: "/v1/rooms", body: `{}`, header: json}, 201, ""},
		{"an empty POST needs no Content-Type (it is refused for its missing host key)",
			rawRequest{method: "POST", path: "/v1/rooms/aaaaaaaaaaaaaaaaaaaaaaaaaa/end"}, 401, apitypes.CodeUnauthorized},
		{"another site may read public things: reads change nothing",
			rawRequest{method: "GET", path: "/v1/info", header: with("Origin", "http://evil.example")}, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, detail := e.send(t, tt.rr)
			if status != tt.want || code != tt.wantCode {
				t.Fatalf("got %d %s (%s), want %d %s", status, code, detail, tt.want, tt.wantCode)
			}
			if status >= 400 && detail == "" {
				t.Fatal("a refusal without a detail")
			}
		})
	}
}

// DNS rebinding: a name the attacker controls, pointed at roomsd's
// address, makes the browser send the attacker's name as Host.
func TestHostMustBeOneRoomsdAnswersTo(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.AllowedHosts = []string{"roomsd.lan"} })
	r, _ := e.c.CreateRoom(t.Context(), apitypes.CreateRoomRequest{})
	tests := []struct {
		name, method, path, host string
		want                     int
	}{
		{"a foreign name is refused on the API", "GET", "/v1/info", "evil.example", 421},
		{"and on a room's page", "GET", "/r/" + r.ID, "evil.example:7880", 421},
		{"and on the directory", "GET", "/", "evil.example", 421},
		{"and on a change", "POST", "/v1/rooms", "evil.example", 421},
		{"a name that ends like localhost is not localhost", "GET", "/v1/info", "localhost.evil.example", 421},
		{"a name that starts like the public one is not it", "GET", "/v1/info", "rooms.test.evil.example", 421},
		{"the public URL's name", "GET", "/v1/info", "rooms.test", 200},
		{"the public URL's name with any port", "GET", "/v1/info", "ROOMS.test:8443", 200},
		{"localhost", "GET", "/r/" + r.ID, "localhost:7880", 200},
		{"localhost as an absolute name", "GET", "/v1/info", "localhost.", 200},
		{"a loopback address", "GET", "/v1/info", "127.0.0.2:7880", 200},
		{"IPv6 loopback", "GET", "/v1/info", "[::1]:7880", 200},
		{"a LAN address: an address cannot be rebound", "GET", "/v1/info", "192.168.1.20:7880", 200},
		{"an allowed name", "GET", "/v1/info", "roomsd.lan:7880", 200},
		{"health checks use any name", "GET", "/healthz", "evil.example", 200},
		{"readiness checks too", "GET", "/readyz", "10.0.0.5.nip.io", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := rawRequest{method: tt.method, path: tt.path, host: tt.host}
			status, code, detail := e.send(t, rr)
			if status != tt.want {
				t.Fatalf("Host %s: %d %s (%s), want %d", tt.host, status, code, detail, tt.want)
			}
			if status == 421 && (code != apitypes.CodeUnknownHost || !strings.Contains(detail, "--allowed-host") || !strings.Contains(detail, "rooms.test, roomsd.lan, localhost")) {
				t.Fatalf("refusal %s: %s", code, detail)
			}
		})
	}
}
