package client

import (
	"slices"
	"testing"

	"github.com/pion/webrtc/v4"
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
