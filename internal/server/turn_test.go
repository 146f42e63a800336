package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestCallOverBuiltInTURN: a whole roomsd with its TURN relay on, one
// participant direct over UDP and one forced through the relay (relayed
// candidates only, as a client whose network lets nothing else out):
// each receives the other's frames, and roomsd's metrics count packets
// the relay passed to the media port and back.
func TestCallOverBuiltInTURN(t *testing.T) {
	c, stop := testServerWith(t, func(cfg *Config) {
		cfg.TURN.Enabled, cfg.TURN.Listen, cfg.TURN.RelayPorts = true, "127.0.0.1:0", "41000-41999"
	})
	defer stop()
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{MaxParticipants: 4})
	if err != nil {
		t.Fatal(err)
	}
	udp, err := joinWith(t, c, r.ID, "udp", client.JoinOptions{Transport: client.TransportUDP})
	if err != nil {
		t.Fatal(err)
	}
	relayed, err := joinWith(t, c, r.ID, "relay", client.JoinOptions{Transport: client.TransportRelay})
	if err != nil {
		t.Fatal(err)
	}
	relayed.waitFrames(t, "udp")
	udp.waitFrames(t, "relay")
	// The relayed participant's media goes through the relay, both ways:
	// its packets reach 100 each way (a few seconds of one video), where
	// connectivity checks alone are a handful.
	var m string
	deadline := time.Now().Add(30 * time.Second)
	for {
		m = metricsText(t, c)
		if metricValue(t, m, "rooms_turn_relayed_to_media_packets_total") >= 100 && metricValue(t, m, "rooms_turn_relayed_from_media_packets_total") >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the relayed participant's media did not go through roomsd's relay:\n%s", grepLines(m, "rooms_turn"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestJoinHandsOutTURNCredentials: the join answer carries the relay's
// URLs and a credential minted for this participant (EXPIRY:ID), and
// none without TURN; a client that asks for relay then says what is
// missing.
func TestJoinHandsOutTURNCredentials(t *testing.T) {
	t.Run("external", func(t *testing.T) {
		urls := []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349?transport=tcp"}
		c, stop := testServerWith(t, func(cfg *Config) {
			cfg.TURN.URLs, cfg.TURN.Secret, cfg.TURN.CredentialTTL = urls, "0123456789abcdef0123", time.Hour
		})
		defer stop()
		r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{MaxParticipants: 4})
		if err != nil {
			t.Fatal(err)
		}
		p, err := joinWith(t, c, r.ID, "one", client.JoinOptions{Transport: client.TransportUDP})
		if err != nil {
			t.Fatal(err)
		}
		var joined client.Joined
		for ev := range p.events {
			if j, ok := ev.(client.Joined); ok {
				joined = j
				break
			}
		}
		if len(joined.ICEServers) != 1 || strings.Join(joined.ICEServers[0].URLs, " ") != strings.Join(urls, " ") {
			t.Fatalf("ice servers %+v, want one with %v", joined.ICEServers, urls)
		}
		s := joined.ICEServers[0]
		exp, who, _ := strings.Cut(s.Username, ":")
		n, _ := strconv.ParseInt(exp, 10, 64)
		if who != joined.You.ID || time.Until(time.Unix(n, 0)) > time.Hour || time.Until(time.Unix(n, 0)) < 50*time.Minute || s.Credential == "" {
			t.Errorf("credential %q/%q for participant %s: want EXPIRY:%s about an hour ahead", s.Username, s.Credential, joined.You.ID, joined.You.ID)
		}
	})
	t.Run("none", func(t *testing.T) {
		c, stop := testServer(t)
		defer stop()
		r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{MaxParticipants: 4})
		if err != nil {
			t.Fatal(err)
		}
		_, err = joinWith(t, c, r.ID, "relay", client.JoinOptions{Transport: client.TransportRelay})
		if err == nil || !strings.Contains(err.Error(), "--turn") {
			t.Fatalf("join with relay and no TURN: %v; want an error naming --turn", err)
		}
	})
}

// TestResolveTURN: the TURN settings that cannot work are refused at
// start, naming the flag.
func TestResolveTURN(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*TURNConfig)
		want string
	}{
		{"url without secret", func(t *TURNConfig) { t.URLs = []string{"turn:h:3478"} }, "--turn-secret"},
		{"both", func(t *TURNConfig) {
			t.Enabled, t.URLs, t.Secret = true, []string{"turn:h:3478"}, "0123456789abcdef0123"
		}, "give one of them"},
		{"bad url", func(t *TURNConfig) { t.URLs, t.Secret = []string{"http://h"}, "0123456789abcdef0123" }, "--turn-url"},
		{"short secret", func(t *TURNConfig) { t.Enabled, t.Secret = true, "short" }, "--turn-secret"},
		{"tls without cert", func(t *TURNConfig) { t.Enabled, t.TLSListen = true, ":5349" }, "--turn-tls-listen"},
		{"tls only without cert", func(t *TURNConfig) { t.Enabled, t.Listen = true, "off" }, "--turn-listen off"},
		{"listen without turn", func(t *TURNConfig) { t.Listen = ":3478" }, "add --turn"},
		{"ports", func(t *TURNConfig) { t.Enabled, t.RelayPorts = true, "80-90" }, "--turn-relay-ports"},
		{"ports reversed", func(t *TURNConfig) { t.Enabled, t.RelayPorts = true, "50010-50000" }, "--turn-relay-ports"},
		{"ttl", func(t *TURNConfig) { t.Enabled, t.CredentialTTL = true, 30*24*time.Hour }, "--turn-credential-ttl"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := Defaults()
			cfg.DataDir = t.TempDir()
			c.set(&cfg.TURN)
			err := cfg.Resolve()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Resolve: %v; want an error with %q", err, c.want)
			}
		})
	}
	cfg := Defaults()
	cfg.DataDir, cfg.TURN.Enabled = t.TempDir(), true
	if err := cfg.Resolve(); err != nil {
		t.Fatal(err)
	}
	if cfg.TURN.Listen != "127.0.0.1:3478" || cfg.TURN.TLSListen != "" || cfg.TURN.RelayPorts != DefaultTURNRelayPorts {
		t.Errorf("defaults: %+v", cfg.TURN)
	}
}

func metricsText(t *testing.T, c *client.Client) string {
	t.Helper()
	res, err := http.Get(c.Server() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func metricValue(t *testing.T, text, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no metric %s", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(errors.Join(err, errors.New(m[0])))
	}
	return v
}
