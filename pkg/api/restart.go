package api

import "time"

// MsgRestartICE asks the server for an ICE restart on the subscribe
// connection (data RestartICE): the server offers on it again with new ICE
// credentials. The publish connection needs no message: the client
// restarts it with an offer of new credentials. A client sends it when
// that connection's ICE failed after it had connected (the network
// changed or was cut), before falling back to a full rejoin.
const MsgRestartICE MessageType = "restart_ice"

// RestartICE names the connection to restart; only PCSubscribe is taken.
type RestartICE struct {
	PC PeerConnection `json:"pc"`
}

// ICE timeouts (docs/protocol.md, "Reconnecting"). A client checks its
// selected pair every ICEKeepalive; silence for ICEDisconnected shows
// "reconnecting", for ICEFailed it restarts ICE on the same connections.
// The server is ICE-lite and only answers checks: it gives a connection
// up after ServerICEFailed without one, long enough for the client's
// restart (ICEFailed, then a round trip) to come first.
const (
	ICEKeepalive    = 1 * time.Second
	ICEDisconnected = 3 * time.Second
	ICEFailed       = 10 * time.Second
	// ServerICEDisconnected and ServerICEFailed are roomsd's.
	ServerICEDisconnected = 5 * time.Second
	ServerICEFailed       = 25 * time.Second
)

// The browser's heartbeat: a page cannot send WebSocket pings, so it sends
// MsgPing (no data) and the server answers MsgPong at once; a page that
// hears nothing for a while takes the connection for dead and rejoins.
// Pings count against the connection's message rate like any message.
const (
	MsgPing MessageType = "ping"
	MsgPong MessageType = "pong"
)
