package client

import (
	"errors"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TransportRelay forces media through the TURN servers the join hands
// out (ICETransportPolicyRelay): for tests and measurements, and for a
// network where nothing else works.
const TransportRelay = "relay"

// errNoRelay is the join's error when TransportRelay finds no TURN server.
var errNoRelay = errors.New("join: --transport relay needs a TURN server, and this server hands out none (its operator can start roomsd with --turn, or --turn-url and --turn-secret)")

// peerConfig is the configuration of a session's PeerConnections: the
// TURN servers of the join (with Transport empty or relay; udp and tcp
// mean direct only) and, for relay, only relayed candidates.
func peerConfig(transport string, servers []api.ICEServer) (webrtc.Configuration, error) {
	var cfg webrtc.Configuration
	if transport != "" && transport != TransportRelay {
		return cfg, nil
	}
	cfg.ICEServers = iceServers(servers)
	if transport == TransportRelay {
		if len(cfg.ICEServers) == 0 {
			return cfg, errNoRelay
		}
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return cfg, nil
}

// iceServers keeps what the server sent within api's bounds: TURN URLs
// only (turn:, turns:), at most api.MaxICEServers servers of
// api.MaxICEURLs URLs; anything else is dropped, not believed.
func iceServers(in []api.ICEServer) []webrtc.ICEServer {
	var out []webrtc.ICEServer
	for _, s := range in {
		if len(out) == api.MaxICEServers {
			break
		}
		if len(s.Username) > api.MaxICECredLen || len(s.Credential) > api.MaxICECredLen || s.Username == "" || s.Credential == "" {
			continue
		}
		var urls []string
		for _, u := range s.URLs {
			if len(urls) < api.MaxICEURLs && len(u) <= api.MaxICEURLLen && (strings.HasPrefix(u, "turn:") || strings.HasPrefix(u, "turns:")) {
				urls = append(urls, u)
			}
		}
		if len(urls) > 0 {
			out = append(out, webrtc.ICEServer{URLs: urls, Username: s.Username, Credential: s.Credential, CredentialType: webrtc.ICECredentialTypePassword})
		}
	}
	return out
}
