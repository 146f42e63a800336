package client

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestNetworkTypes: by default a client tries UDP and TCP, each over IPv4
// and IPv6 (ICE over TCP
// to roomsd's passive candidates when UDP is blocked); Transport forces
// one; anything else is a clear error.
func TestNetworkTypes(t *testing.T) {
	tests := []struct {
		transport string
		want      []webrtc.NetworkType
		wantErr   bool
	}{
		{"", []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6}, false},
		{TransportUDP, []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}, false},
		{TransportTCP, []webrtc.NetworkType{webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6}, false},
		{TransportRelay, []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}, false},
		{"sctp", nil, true},
	}
	for _, tt := range tests {
		got, err := networkTypes(tt.transport)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("networkTypes(%q) = %v, %v; want %v (error: %v)", tt.transport, got, err, tt.want, tt.wantErr)
		}
		if _, err := defaultAPI(true, &audioLevels{}, tt.transport); (err != nil) != tt.wantErr {
			t.Errorf("defaultAPI with transport %q: %v", tt.transport, err)
		}
	}
}

// TestPeerConfig: the join's TURN servers reach the PeerConnections for
// the default and relay transports (relay: relayed candidates only), not
// for udp and tcp (direct only); relay without a TURN server is an error
// that says what to do.
func TestPeerConfig(t *testing.T) {
	servers := []api.ICEServer{{URLs: []string{"turns:rooms.example:5349?transport=tcp"}, Username: "1:p", Credential: "c"}}
	for _, tt := range []struct {
		transport string
		servers   []api.ICEServer
		urls      int
		policy    webrtc.ICETransportPolicy
		err       error
	}{
		{"", servers, 1, webrtc.ICETransportPolicyAll, nil},
		{TransportRelay, servers, 1, webrtc.ICETransportPolicyRelay, nil},
		{TransportUDP, servers, 0, webrtc.ICETransportPolicyAll, nil},
		{TransportTCP, servers, 0, webrtc.ICETransportPolicyAll, nil},
		{TransportRelay, nil, 0, 0, errNoRelay},
	} {
		cfg, err := peerConfig(tt.transport, tt.servers)
		if !errors.Is(err, tt.err) || len(cfg.ICEServers) != tt.urls || cfg.ICETransportPolicy != tt.policy {
			t.Errorf("peerConfig(%q) = %+v, %v", tt.transport, cfg, err)
		}
	}
}

// TestICEServersBounded: what a server hands out is believed only within
// bounds: TURN URLs only, so many servers and URLs, so long.
func TestICEServersBounded(t *testing.T) {
	var many []api.ICEServer
	for range api.MaxICEServers + 3 {
		var urls []string
		for range api.MaxICEURLs + 3 {
			urls = append(urls, "turn:h:3478")
		}
		many = append(many, api.ICEServer{URLs: urls, Username: "u", Credential: "c"})
	}
	got := iceServers(many)
	if len(got) != api.MaxICEServers || len(got[0].URLs) != api.MaxICEURLs {
		t.Errorf("%d servers, %d URLs kept; want %d, %d", len(got), len(got[0].URLs), api.MaxICEServers, api.MaxICEURLs)
	}
	for _, bad := range []api.ICEServer{
		{URLs: []string{"stun:h:3478"}, Username: "u", Credential: "c"},
		{URLs: []string{"http://h/"}, Username: "u", Credential: "c"},
		{URLs: []string{"turn:" + strings.Repeat("h", api.MaxICEURLLen)}, Username: "u", Credential: "c"},
		{URLs: []string{"turn:h:3478"}, Username: strings.Repeat("u", api.MaxICECredLen+1), Credential: "c"},
		{URLs: []string{"turn:h:3478"}},
	} {
		if got := iceServers([]api.ICEServer{bad}); len(got) != 0 {
			t.Errorf("kept %+v", got)
		}
	}
}
