package api

// ICEServer is a STUN or TURN server a participant may use for its media,
// handed out in Joined (the same shape as the browser's RTCIceServer).
// roomsd hands out TURN servers only, each with a credential minted for
// that participant and good for hours (the coturn REST scheme: Username
// "EXPIRY:PARTICIPANT", Credential base64(HMAC-SHA1(secret, Username))).
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Bounds a client puts on the ICE servers of a join: a server that sends
// more is not believed past them.
const (
	MaxICEServers = 4
	MaxICEURLs    = 8
	MaxICEURLLen  = 256
	MaxICECredLen = 256
)
