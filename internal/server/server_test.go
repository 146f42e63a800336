package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{"defaults fill the db and the public URL", Config{Listen: DefaultListen, DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10}, "", func(t *testing.T, c Config) {
			if c.DB != "/tmp/x/rooms.db" || c.PublicURL != "http://127.0.0.1:7880" {
				t.Errorf("got db %q url %q", c.DB, c.PublicURL)
			}
		}},
		{"a sqlite:// DSN is a path", Config{Listen: DefaultListen, DataDir: "/tmp/x", DB: "sqlite:///var/rooms.db", MaxParticipants: 50, MaxScreenShares: 10}, "", func(t *testing.T, c Config) {
			if c.DB != "/var/rooms.db" {
				t.Errorf("db %q", c.DB)
			}
		}},
		{"a public URL loses its trailing slash", Config{Listen: DefaultListen, DataDir: "/tmp/x", PublicURL: "https://rooms.example.com/", MaxParticipants: 50, MaxScreenShares: 10}, "", func(t *testing.T, c Config) {
			if c.PublicURL != "https://rooms.example.com" {
				t.Errorf("url %q", c.PublicURL)
			}
		}},
		{"a postgres URL is kept", Config{Listen: DefaultListen, DataDir: "/tmp/x", DB: "postgres://db/rooms", MaxParticipants: 50, MaxScreenShares: 10}, "", func(t *testing.T, c Config) {
			if c.DB != "postgres://db/rooms" {
				t.Errorf("db %q", c.DB)
			}
		}},
		{"a postgres URL that does not parse", Config{Listen: DefaultListen, DataDir: "/tmp/x", DB: "postgres://rooms:s3cret@db:notaport/rooms", MaxParticipants: 50, MaxScreenShares: 10}, "not a usable PostgreSQL URL", nil},
		{"an unknown DSN kind", Config{Listen: DefaultListen, DB: "mysql://db", MaxParticipants: 50, MaxScreenShares: 10}, "unknown kind of database", nil},
		{"a listen address without a port", Config{Listen: "localhost", MaxParticipants: 50, MaxScreenShares: 10}, "is not host:port", nil},
		{"a cap of zero", Config{Listen: DefaultListen, MaxParticipants: 0}, "--max-participants", nil},
		{"no screens at all", Config{Listen: DefaultListen, MaxParticipants: 50, MaxScreenShares: 0}, "--max-screen-shares", nil},
		{"a public URL without a scheme", Config{Listen: DefaultListen, DataDir: "/tmp/x", PublicURL: "rooms.example.com", MaxParticipants: 50, MaxScreenShares: 10}, "--public-url", nil},
		{"the profiler on loopback", Config{Listen: DefaultListen, DataDir: "/tmp/x", DebugListen: "127.0.0.1:6060", MaxParticipants: 50, MaxScreenShares: 10}, "", func(*testing.T, Config) {}},
		{"the profiler off loopback", Config{Listen: DefaultListen, DebugListen: "0.0.0.0:6060", MaxParticipants: 50, MaxScreenShares: 10}, "loopback only", nil},
		{"the profiler without a port", Config{Listen: DefaultListen, DebugListen: "localhost", MaxParticipants: 50, MaxScreenShares: 10}, "want host:port", nil},
		{"every voice, or at most 50", Config{Listen: DefaultListen, ForwardVoices: 51, MaxParticipants: 50, MaxScreenShares: 10}, "--forward-voices", nil},
		{"a retention under an hour", Config{Listen: DefaultListen, DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10, Retain: time.Minute}, "--retain", nil},
		{"a negative retention", Config{Listen: DefaultListen, DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10, Retain: -time.Hour}, "--retain", nil},
		{"a retention of 0 keeps everything", Config{Listen: DefaultListen, DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10}, "", func(*testing.T, Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			err := c.Resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestLoopback(t *testing.T) {
	for listen, want := range map[string]bool{
		"127.0.0.1:7880": true, "localhost:7880": true, "[::1]:7880": true,
		"0.0.0.0:7880": false, ":7880": false, "192.168.1.2:7880": false,
	} {
		c := Config{Listen: listen}
		if got := c.Loopback(); got != want {
			t.Errorf("Loopback(%s) = %v, want %v", listen, got, want)
		}
	}
}

func TestServeStopsCleanlyAndReleasesTheStore(t *testing.T) {
	dir := t.TempDir()
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", dir, 0
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, cfg, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	resp, err := http.Get("http://" + srv.Addr().String() + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()

	// A second server on the same data directory is refused while the first runs.
	if _, err := Start(context.Background(), cfg, log, io.Discard); err == nil || !strings.Contains(err.Error(), "another roomsd") {
		t.Fatalf("second Start = %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(ShutdownTimeout + 5*time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	// The store's lock is released: the data directory opens again.
	again, err := Start(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatalf("Start after shutdown: %v", err)
	}
	c2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := again.Serve(c2); err != nil {
		t.Fatal(err)
	}
}

func TestCreateTokenIsMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	var notices bytes.Buffer
	tok, err := loadOrMakeToken(dir, &notices)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "rct_") || len(tok) < 40 || !strings.Contains(notices.String(), tok) {
		t.Fatalf("token %q, notice %q", tok, notices.String())
	}
	st, err := os.Stat(filepath.Join(dir, "create-token"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	notices.Reset()
	again, err := loadOrMakeToken(dir, &notices)
	if err != nil || again != tok || notices.Len() != 0 {
		t.Fatalf("second start: token %q (want %q), notice %q, %v", again, tok, notices.String(), err)
	}
}

func TestStartFailsClearlyOnABusyPort(t *testing.T) {
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	log := slog.New(slog.DiscardHandler)
	first, err := Start(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		first.Serve(ctx)
	}()
	cfg2 := Defaults()
	cfg2.Listen, cfg2.DataDir, cfg2.UDPPort = first.Addr().String(), t.TempDir(), 0
	_, err = Start(context.Background(), cfg2, log, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "the address is in use") {
		t.Fatalf("Start on a busy port = %v", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Fatal("unexpected cancel")
	}
}
