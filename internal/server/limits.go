package server

import (
	"fmt"
	"strings"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/clientaddr"
	"github.com/rooms-dev/rooms/internal/signal"
)

// resolveLimits checks the trusted proxies, the allowed hosts and the
// limits. A Config built in code that sets no limits gets the defaults;
// each limit given must be above zero (there is no "off": give a large
// number instead).
func (c *Config) resolveLimits() error {
	if _, err := clientaddr.ParseProxies(c.TrustedProxies); err != nil {
		return err
	}
	for _, h := range c.AllowedHosts {
		if h = strings.TrimSpace(h); h == "" || strings.ContainsAny(h, "/ @?#*") {
			return fmt.Errorf("--allowed-host %q must be a host name such as rooms.lan (no scheme, path, wildcard or spaces)", h)
		}
	}
	if c.Rate == (api.Rate{}) {
		c.Rate = api.DefaultRate
	}
	if c.Calls == (signal.Limits{}) {
		c.Calls = signal.DefaultLimits
	}
	for _, l := range []struct {
		flag, unit string
		v          float64
	}{
		{"--rate", "requests per second per client address", c.Rate.PerSecond},
		{"--rate-burst", "requests at once per client address", float64(c.Rate.Burst)},
		{"--create-rate", "room creations per minute per client address", c.Rate.CreatesPerMinute},
		{"--create-burst", "room creations at once per client address", float64(c.Rate.CreateBurst)},
		{"--max-connections-per-address", "call connections open per client address", float64(c.Calls.PerAddress)},
		{"--max-connections", "call connections open on the server", float64(c.Calls.Total)},
		{"--join-rate", "call connections opened per second per client address", c.Calls.JoinsPerSecond},
		{"--join-burst", "call connections opened at once per client address", float64(c.Calls.JoinBurst)},
	} {
		if !(l.v > 0) {
			return fmt.Errorf("%s must be above 0 (%s), not %v; for no practical limit give a large number", l.flag, l.unit, l.v)
		}
	}
	return nil
}

// proxies is the parsed --trusted-proxy list (checked by Resolve).
func (c *Config) proxies() clientaddr.Proxies {
	p, _ := clientaddr.ParseProxies(c.TrustedProxies)
	return p
}
