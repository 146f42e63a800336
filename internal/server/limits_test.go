package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/signal"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func TestResolveLimits(t *testing.T) {
	base := func(set func(*Config)) Config {
		c := Defaults()
		c.DataDir = "/tmp/x"
		if set != nil {
			set(&c)
		}
		return c
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"the defaults", base(nil), ""},
		{"trusted proxies as ranges and addresses", base(func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "127.0.0.1", "::1"} }), ""},
		{"a proxy by name", base(func(c *Config) { c.TrustedProxies = []string{"proxy.lan"} }), `--trusted-proxy "proxy.lan" is not an IP address or CIDR range`},
		{"an allowed host with a port", base(func(c *Config) { c.AllowedHosts = []string{"rooms.lan:7880"} }), ""},
		{"an allowed host as a URL", base(func(c *Config) { c.AllowedHosts = []string{"http://rooms.lan"} }), "--allowed-host"},
		{"an allowed wildcard", base(func(c *Config) { c.AllowedHosts = []string{"*.lan"} }), "--allowed-host"},
		{"no requests at all", base(func(c *Config) { c.Rate.PerSecond = 0 }), "--rate must be above 0"},
		{"a negative burst", base(func(c *Config) { c.Rate.Burst = -1 }), "--rate-burst must be above 0"},
		{"no creations", base(func(c *Config) { c.Rate.CreatesPerMinute = 0 }), "--create-rate"},
		{"no call connections per address", base(func(c *Config) { c.Calls.PerAddress = 0 }), "--max-connections-per-address must be above 0"},
		{"no call connections", base(func(c *Config) { c.Calls.Total = 0 }), "--max-connections must be above 0"},
		{"no joins", base(func(c *Config) { c.Calls.JoinsPerSecond = 0 }), "--join-rate"},
		{"no join burst", base(func(c *Config) { c.Calls.JoinBurst = 0 }), "--join-burst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			err := c.Resolve()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resolve = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
	// A Config built in code without limits gets the defaults.
	c := Config{Listen: DefaultListen, DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10}
	if err := c.Resolve(); err != nil || c.Rate != api.DefaultRate || c.Calls != signal.DefaultLimits {
		t.Fatalf("Resolve = %v, rate %+v, calls %+v", err, c.Rate, c.Calls)
	}
}

// The flags' values reach the API and the call connections of a whole
// roomsd: the trusted proxy, the request rate and the caps.
func TestLimitsReachTheServer(t *testing.T) {
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	cfg.TrustedProxies = []string{"127.0.0.0/8"}
	cfg.Rate.Burst = 3
	// One token a minute: a stalled machine cannot refill the bucket
	// between the requests below.
	cfg.Rate.PerSecond = 1.0 / 60
	cfg.Calls.PerAddress = 1
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := Start(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	base := "http://" + srv.Addr().String()
	c, _ := client.New(base)
	r, err := c.CreateRoom(ctx, apitypes.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	get := func(client string) int {
		req, _ := http.NewRequest("GET", base+"/v1/info", nil)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 3 {
		get("198.51.100.1")
	}
	if s := get("198.51.100.1"); s != 429 {
		t.Fatalf("past --rate-burst: %d", s)
	}
	if s := get("198.51.100.2"); s != 200 {
		t.Fatalf("another client behind the trusted proxy: %d", s)
	}
	dial := func(client string) (*websocket.Conn, int) {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ws, resp, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/r/"+r.ID, &websocket.DialOptions{
			Subprotocols: []string{apitypes.SignalProtocol}, HTTPHeader: http.Header{"X-Forwarded-For": {client}}})
		if err != nil {
			if resp == nil {
				t.Fatal(err)
			}
			return nil, resp.StatusCode
		}
		return ws, 101
	}
	ws, s := dial("198.51.100.3")
	if s != 101 {
		t.Fatalf("a first call connection: %d", s)
	}
	defer ws.CloseNow()
	if _, s := dial("198.51.100.3"); s != 429 {
		t.Fatalf("a second from one address past --max-connections-per-address 1: %d", s)
	}
}
