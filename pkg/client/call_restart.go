package client

import (
	"errors"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// Reconnecting a call, from the least to the most drastic (docs/protocol.md,
// "Reconnecting"):
//
//  1. ICE disconnected (no packet on the selected pair for
//     api.ICEDisconnected): the call shows "reconnecting" and waits; pion
//     keeps checking the pair, and a short cut heals by itself, same
//     connections, same participant.
//  2. ICE failed after having connected (api.ICEFailed without a packet):
//     an ICE restart on the same PeerConnections, new ufrag and pwd: the
//     publish connection offers with them, and the server is asked
//     (api.MsgRestartICE) to offer the subscribe connection with them.
//  3. The restart failed too, the server dropped the call connection, or
//     it went silent (the pinger): a full rejoin with the same key and
//     participant id, retried for ReconnectFor before giving up with
//     ErrUnreachable (exit code 5 in the CLI).
//
// A connection that never connected failing is MediaFailed, as before:
// the network blocks media, and a restart would not help.

// restartState is run's record of the current session's ICE.
type restartState struct {
	// connected: the connection has connected in this session.
	connected map[api.PeerConnection]bool
	// down: the connection is disconnected or failed now.
	down map[api.PeerConnection]bool
	// restarted: an ICE restart was asked for since the connection was
	// last connected; a second failure then rejoins.
	restarted map[api.PeerConnection]bool
	// since is when the current interruption began (media or
	// signalling); zero while the call is whole.
	since time.Time
	// shown: a Reconnecting event is out for the interruption.
	shown bool
	// restarts counts ICE restarts asked for, the whole call.
	restarts int
}

// DefaultReconnectFor is how long a call tries to get back after it lost
// the server before it gives up: longer than the cuts people live through
// (a train tunnel, a Wi-Fi hand-over, a router restarting: a 90 s cut is
// tested) and short enough that a client whose server is gone says so.
const DefaultReconnectFor = 2 * time.Minute

// maxBackoff bounds the wait between rejoin attempts: a call is back at
// most this long after its network returns (plus the join itself).
const maxBackoff = 2 * time.Second

// redialConnect bounds connecting the WebSocket of a rejoin: a dial begun
// while the network was cut waits on TCP's SYN retries (1, 3, 7 s...), so
// a fresh dial after the link returns is quicker than waiting on it.
const redialConnect = 4 * time.Second

// errMediaInterrupted is a Reconnecting event's reason while the call's
// connections stay and ICE checks its way back.
var errMediaInterrupted = errors.New("media interrupted: no packet from the server; reconnecting")

// newSession forgets the last session's ICE record: attach's.
func (call *Call) newSession() {
	r := &call.s.ice
	r.connected = map[api.PeerConnection]bool{}
	r.down = map[api.PeerConnection]bool{}
	r.restarted = map[api.PeerConnection]bool{}
}

// interrupted notes the start of an interruption and says so once.
func (call *Call) interrupted(attempt int, cause error) {
	r := &call.s.ice
	if r.since.IsZero() {
		r.since = time.Now()
	}
	r.shown = true
	call.emit(Reconnecting{Attempt: attempt, Err: cause})
}

// recovered ends an interruption: Reconnected, once, if one was shown.
func (call *Call) recovered(rejoined bool) {
	r := &call.s.ice
	if !r.shown {
		r.since = time.Time{}
		return
	}
	e := Reconnected{Rejoined: rejoined, ParticipantID: call.s.me.ID, Restarts: r.restarts}
	if !r.since.IsZero() {
		e.After = time.Since(r.since)
	}
	r.since, r.shown = time.Time{}, false
	call.emit(e)
}

// iceState acts on pc's ICE state: run's.
func (call *Call) iceState(pc *webrtc.PeerConnection, name api.PeerConnection, st webrtc.ICEConnectionState) {
	s := &call.s
	r := &s.ice
	if pc != s.pub && pc != s.sub {
		return // a session gone
	}
	switch st {
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		r.connected[name] = true
		delete(r.down, name)
		delete(r.restarted, name)
		if len(r.down) == 0 && s.conn != nil {
			call.recovered(false)
		}
	case webrtc.ICEConnectionStateDisconnected:
		if !r.connected[name] {
			return
		}
		r.down[name] = true
		if !r.shown {
			call.interrupted(1, errMediaInterrupted)
		}
	case webrtc.ICEConnectionStateFailed:
		if !r.connected[name] {
			// Never connected: the network blocks media.
			call.mediaFailed(pc, name, triedTransports(pc, s.trickled[name]))
			return
		}
		r.down[name] = true
		if r.restarted[name] || s.conn == nil {
			// The restart failed too: start afresh.
			call.rejoinAfterFailure(name)
			return
		}
		r.restarted[name] = true
		r.restarts++
		if !r.shown {
			call.interrupted(1, errMediaInterrupted)
		}
		if name == api.PCPublish {
			s.pubNeg.Restart()
			return
		}
		if err := s.conn.post(api.MsgRestartICE, api.RestartICE{PC: api.PCSubscribe}); err != nil {
			call.drop(err)
		}
	}
}

// rejoinAfterFailure drops the session whose ICE restart failed: the
// call rejoins with fresh connections.
func (call *Call) rejoinAfterFailure(name api.PeerConnection) {
	if call.s.conn == nil {
		return // already rejoining
	}
	call.drop(errors.Join(errMediaInterrupted, errors.New("the ICE restart of the "+string(name)+" connection failed too; rejoining")))
}
