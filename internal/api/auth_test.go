package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func newAuthServer(t *testing.T) string {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newHTTPServer(t, api.New(api.Config{Store: st}))
}

// send makes one request with a Rooms-Auth header as given.
func sendSigned(t *testing.T, method, url, auth string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(apitypes.HeaderAuth, auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSignaturesAreGoodForOneRequestToOneServer: a Rooms-Auth signature
// captured by one server (or on the way) cannot be used again, on another
// server, with another body, or for another target.
func TestSignaturesAreGoodForOneRequestToOneServer(t *testing.T) {
	a := newAuthServer(t)
	b := newAuthServer(t)
	_, key, _ := ed25519.GenerateKey(nil)
	ctx := context.Background()
	victim, _ := client.New(b, client.WithKey(key))
	if err := victim.Login(ctx, "ann"); err != nil {
		t.Fatalf("the victim's own login on b: %v", err)
	}
	sign := func(origin, method, target string, body []byte) string {
		return apitypes.SignAuth(key, apitypes.AuthRequest{Origin: origin, Method: method, Target: target, Body: body}, time.Now())
	}
	claimMallory := []byte(`{"handle":"mallory"}`)

	tests := []struct {
		name string
		do   func() int
		want int
	}{
		{"a fresh signature works", func() int {
			return sendSigned(t, http.MethodGet, b+"/v1/me", sign(b, http.MethodGet, "/v1/me", nil), nil)
		}, http.StatusOK},
		{"the same signature twice is refused", func() int {
			h := sign(b, http.MethodGet, "/v1/me", nil)
			if got := sendSigned(t, http.MethodGet, b+"/v1/me", h, nil); got != http.StatusOK {
				t.Fatalf("first use: %d", got)
			}
			return sendSigned(t, http.MethodGet, b+"/v1/me", h, nil)
		}, http.StatusUnauthorized},
		{"a signature made for server a is refused by server b", func() int {
			// a captures the victim's release of its handle and replays it to b.
			return sendSigned(t, http.MethodDelete, b+"/v1/me/handle", sign(a, http.MethodDelete, "/v1/me/handle", nil), nil)
		}, http.StatusUnauthorized},
		{"a signature replayed with another body is refused", func() int {
			h := sign(b, http.MethodPost, "/v1/handles", []byte(`{"handle":"ann"}`))
			return sendSigned(t, http.MethodPost, b+"/v1/handles", h, claimMallory)
		}, http.StatusUnauthorized},
		{"a signature for another query is refused", func() int {
			return sendSigned(t, http.MethodGet, b+"/v1/inbox?after=5", sign(b, http.MethodGet, "/v1/inbox", nil), nil)
		}, http.StatusUnauthorized},
		{"a signature of the old scheme is refused", func() int {
			h := sign(b, http.MethodGet, "/v1/me", nil)
			return sendSigned(t, http.MethodGet, b+"/v1/me", "v1"+strings.TrimPrefix(h, "v2"), nil)
		}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.do(); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
		})
	}
	// After all that, the victim still holds its handle on b.
	if h, err := victim.Whoami(ctx); err != nil || h != "ann" {
		t.Fatalf("the victim's handle on b is %q (%v), want ann", h, err)
	}
}
