package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// startServer starts cfg in-process and returns the server itself, for
// tests that reach past the API (Reload, MetricsAddr).
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return srv
}

func testConfig(t *testing.T) Config {
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	return cfg
}

func clientFor(t *testing.T, srv *Server, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New("http://"+srv.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// participantIDs are the ids of the people in the room's call, sorted.
func participantIDs(t *testing.T, c *client.Client, roomID string) []string {
	t.Helper()
	parts, err := c.Participants(context.Background(), roomID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range parts {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

// waitForwarded waits until the SFU has forwarded n packets more than from.
func waitForwarded(t *testing.T, srv *Server, from uint64, n uint64) {
	t.Helper()
	for srv.sfu.Forwarded() < from+n {
		select {
		case <-t.Context().Done():
			t.Fatal("test ended")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func failOnLeave(t *testing.T, p *peer, ev client.Event) {
	t.Helper()
	switch ev := ev.(type) {
	case client.ParticipantLeft:
		t.Fatalf("%s saw %s leave (%s) across the reload", p.name, ev.ID, ev.Reason)
	case client.Reconnecting, client.Closed:
		t.Fatalf("%s: %T across the reload", p.name, ev)
	}
}

func TestReloadSwapsTheCreateTokenWithoutTouchingTheCall(t *testing.T) {
	cfg := testConfig(t)
	cfg.CreateToken = "old-token-0123456789"
	srv := startServer(t, cfg)
	ctx := context.Background()
	oldC := clientFor(t, srv, client.WithCreateToken("old-token-0123456789"))
	newC := clientFor(t, srv, client.WithCreateToken("new-token-9876543210"))

	r, err := oldC.CreateRoom(ctx, api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := join(t, oldC, r.ID, "ann", r.HostKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	bo, err := join(t, oldC, r.ID, "bo", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ann.waitFrames(t, "bo")
	bo.waitFrames(t, "ann")
	before := participantIDs(t, oldC, r.ID)
	if len(before) != 2 {
		t.Fatalf("participants before the reload: %v", before)
	}

	next := cfg
	next.CreateToken = "new-token-9876543210"
	next.Calls.PerAddress = 7
	if err := srv.Reload(next); err != nil {
		t.Fatal(err)
	}
	if _, err := oldC.CreateRoom(ctx, api.CreateRoomRequest{}); !isCode(err, api.CodeForbidden) {
		t.Fatalf("the old token after the reload: %v, want %s", err, api.CodeForbidden)
	}
	if _, err := newC.CreateRoom(ctx, api.CreateRoomRequest{}); err != nil {
		t.Fatalf("the new token after the reload: %v", err)
	}
	if got := srv.Config(); got.CreateToken != next.CreateToken || got.Calls.PerAddress != 7 {
		t.Errorf("Config after the reload: token %q, per address %d", got.CreateToken, got.Calls.PerAddress)
	}

	// The call goes on: media still flows (both publish ~30 frames a
	// second, each forwarded to the other), under the same participant
	// ids, and nobody left or reconnected.
	waitForwarded(t, srv, srv.sfu.Forwarded(), 60)
	if after := participantIDs(t, newC, r.ID); !slices.Equal(after, before) {
		t.Errorf("participants went from %v to %v across the reload", before, after)
	}
	for _, p := range []*peer{ann, bo} {
		for len(p.events) > 0 {
			failOnLeave(t, p, <-p.events)
		}
	}
}

func TestReloadRefusesABadConfigAndKeepsTheOld(t *testing.T) {
	cfg := testConfig(t)
	cfg.CreateToken = "kept-token-0123456789"
	srv := startServer(t, cfg)
	bad := cfg
	bad.CreateToken, bad.MaxParticipants = "never-applied", 0
	if err := srv.Reload(bad); err == nil || !strings.Contains(err.Error(), "--max-participants") {
		t.Fatalf("Reload of a bad config = %v, want an error naming --max-participants", err)
	}
	if _, err := clientFor(t, srv, client.WithCreateToken("kept-token-0123456789")).CreateRoom(context.Background(), api.CreateRoomRequest{}); err != nil {
		t.Fatalf("the kept token after a refused reload: %v", err)
	}
	if got := srv.Config().CreateToken; got != cfg.CreateToken {
		t.Errorf("Config().CreateToken = %q after a refused reload", got)
	}
}

func TestMetricsOnTheirOwnListener(t *testing.T) {
	cfg := testConfig(t)
	cfg.MetricsListen = "127.0.0.1:0"
	srv := startServer(t, cfg)
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, _ := get("http://" + srv.Addr().String() + "/metrics"); code != http.StatusNotFound {
		t.Errorf("/metrics on the API listener: %d, want 404", code)
	}
	code, body := get("http://" + srv.MetricsAddr().String() + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "rooms_calls ") || !strings.Contains(body, "rooms_http_requests_total") {
		t.Errorf("/metrics on the metrics listener: %d\n%s", code, body)
	}
	if code, _ := get("http://" + srv.MetricsAddr().String() + "/v1/info"); code != http.StatusNotFound {
		t.Errorf("/v1/info on the metrics listener: %d, want 404", code)
	}
}

func TestMetricsWithTheAPIByDefault(t *testing.T) {
	srv := startServer(t, testConfig(t))
	if srv.MetricsAddr() != nil {
		t.Fatalf("MetricsAddr = %v without --metrics-listen", srv.MetricsAddr())
	}
	res, err := http.Get("http://" + srv.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/metrics on the API listener: %d, want 200", res.StatusCode)
	}
}

// isCode says whether err is an API problem with code.
func isCode(err error, code api.Code) bool {
	var p *api.Problem
	return errors.As(err, &p) && p.Code == code
}
