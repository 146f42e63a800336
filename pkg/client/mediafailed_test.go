package client

import (
	"strings"
	"testing"
)

func TestTransportOf(t *testing.T) {
	for _, tt := range []struct {
		cand, want string
		ok         bool
	}{
		{"candidate:1 1 udp 2130706431 192.0.2.1 7882 typ host", "udp 192.0.2.1:7882", true},
		{"candidate:2 1 TCP 1671430143 2001:db8::1 7882 typ host tcptype passive", "tcp [2001:db8::1]:7882", true},
		{"candidate:3 1 udp 16777215 198.51.100.7 3478 typ relay raddr 0.0.0.0 rport 0", "udp 198.51.100.7:3478 (relay)", true},
		{"candidate:4 1 udp", "", false},
		{"ice-ufrag:abc", "", false},
	} {
		got, ok := transportOf(tt.cand)
		if got != tt.want || ok != tt.ok {
			t.Errorf("transportOf(%q) = %q, %v; want %q, %v", tt.cand, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMediaFailedReason(t *testing.T) {
	for _, tt := range []struct {
		tried []string
		want  string
	}{
		{nil, "offered no address"},
		{[]string{"udp 192.0.2.1:7882"}, "tried UDP to 192.0.2.1:7882; UDP may be blocked"},
		{[]string{"tcp 192.0.2.1:7882", "udp 192.0.2.1:7882"}, "tried tcp 192.0.2.1:7882, udp 192.0.2.1:7882; this network may block them"},
	} {
		if got := mediaFailedReason(tt.tried); !strings.Contains(got, tt.want) {
			t.Errorf("mediaFailedReason(%q) = %q, want it to contain %q", tt.tried, got, tt.want)
		}
	}
}
