package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// run reads signalling until the call ends, reconnecting after drops.
func (call *Call) run() {
	defer func() {
		call.closePeers()
		call.mu.Lock()
		err := call.final
		call.mu.Unlock()
		// The last event goes out even though the context is done (which
		// also lets emitters waiting on a full channel go).
		// Once eventsClosed is set no emitter touches the channel, and
		// none is still inside: the lock waited for them. The send may
		// block on a reader that stopped; emitters then return at once.
		call.emitMu.Lock()
		call.eventsClosed = true
		call.emitMu.Unlock()
		call.events <- Closed{Err: err}
		close(call.events)
	}()
	for {
		err := call.readLoop()
		if call.ctx.Err() != nil {
			return
		}
		if isFatal(err) {
			call.finish(err)
			return
		}
		if err := call.reconnect(err); err != nil {
			call.finish(err)
			return
		}
	}
}

// reconnect tries to rejoin with backoff, keeping our participant id so
// the others see one person come back.
func (call *Call) reconnect(cause error) error {
	if call.opts.MaxReconnects < 0 {
		return cause
	}
	rejoin := call.Me().ID
	delay := 250 * time.Millisecond
	for attempt := 1; attempt <= call.opts.MaxReconnects; attempt++ {
		call.emit(Reconnecting{Attempt: attempt, Err: cause})
		select {
		case <-time.After(delay):
		case <-call.ctx.Done():
			return call.ctx.Err()
		}
		delay = min(delay*2, 5*time.Second)
		err := call.connect(call.ctx, rejoin)
		if err == nil {
			return nil
		}
		if isFatal(err) {
			return err
		}
		cause = err
	}
	return fmt.Errorf("gave up reconnecting after %d attempts: %w", call.opts.MaxReconnects, cause)
}

// readLoop handles messages until the connection fails or the call ends.
func (call *Call) readLoop() error {
	call.mu.Lock()
	ws := call.ws
	call.mu.Unlock()
	for {
		m, err := read(call.ctx, ws)
		if err != nil {
			return err
		}
		if err := call.dispatch(m); err != nil {
			return err
		}
	}
}

func (call *Call) dispatch(m api.Message) error {
	switch m.Type {
	case api.MsgOffer:
		var sdp api.SDP
		if err := json.Unmarshal(m.Data, &sdp); err != nil {
			return fmt.Errorf("read offer: %w", err)
		}
		return call.handleOffer(sdp)
	case api.MsgAnswer:
		var sdp api.SDP
		if err := json.Unmarshal(m.Data, &sdp); err != nil {
			return fmt.Errorf("read answer: %w", err)
		}
		return call.handleAnswer(sdp)
	case api.MsgCandidate:
		var c api.Candidate
		if err := json.Unmarshal(m.Data, &c); err != nil {
			return fmt.Errorf("read candidate: %w", err)
		}
		call.handleCandidate(c)
	case api.MsgParticipantJoined:
		var p api.Participant
		if json.Unmarshal(m.Data, &p) == nil {
			call.emit(ParticipantJoined{p})
		}
	case api.MsgParticipantLeft:
		var p api.ParticipantLeft
		if json.Unmarshal(m.Data, &p) == nil {
			call.emit(ParticipantLeft{p})
		}
	case api.MsgTrackPublished:
		var t api.Track
		if json.Unmarshal(m.Data, &t) == nil {
			call.mu.Lock()
			call.tracks[t.ID] = t
			call.mu.Unlock()
			call.emit(TrackPublished{t})
		}
	case api.MsgTrackUnpublished:
		var t api.Track
		if json.Unmarshal(m.Data, &t) == nil {
			call.mu.Lock()
			delete(call.tracks, t.ID)
			call.mu.Unlock()
			call.emit(TrackUnpublished{t})
		}
	case api.MsgRoomUpdated:
		var r api.Room
		if json.Unmarshal(m.Data, &r) == nil {
			call.emit(RoomUpdated{r})
		}
	case api.MsgMute:
		var mu api.Mute
		if json.Unmarshal(m.Data, &mu) == nil {
			call.emit(Muted{mu})
		}
	case api.MsgChat:
		var ch api.Chat
		if json.Unmarshal(m.Data, &ch) == nil {
			call.emit(Chat{ch})
		}
	case api.MsgLayers:
		var l api.Layers
		if json.Unmarshal(m.Data, &l) == nil {
			call.setLayers(l)
		}
	case api.MsgSpeaking:
		var sp api.Speaking
		if json.Unmarshal(m.Data, &sp) == nil {
			call.emit(Speaking{ParticipantID: sp.ParticipantID, Speaking: sp.Speaking, Active: sp.Active})
		}
	case api.MsgKnock:
		var k api.Knock
		if json.Unmarshal(m.Data, &k) == nil {
			call.emit(Knock{k})
		}
	case api.MsgKnockEnded:
		var k api.KnockEnded
		if json.Unmarshal(m.Data, &k) == nil {
			call.emit(KnockEnded{k})
		}
	case api.MsgRemoved:
		var r api.Removed
		_ = json.Unmarshal(m.Data, &r)
		call.emit(Removed{r})
		return ErrRemoved
	case api.MsgEnding:
		var e api.Ending
		if json.Unmarshal(m.Data, &e) == nil {
			call.emit(Ending{e})
		}
	case api.MsgEnded:
		var e api.Ended
		_ = json.Unmarshal(m.Data, &e)
		call.emit(Ended{e})
		return ErrEnded
	case api.MsgError:
		se := &api.SignalError{}
		if err := json.Unmarshal(m.Data, se); err != nil {
			return fmt.Errorf("read error message: %w", err)
		}
		if se.Fatal {
			return se
		}
		call.emit(ServerError{*se})
	}
	return nil
}

func (call *Call) handleOffer(sdp api.SDP) error {
	call.mu.Lock()
	sub := call.sub
	call.mu.Unlock()
	if sdp.PC != api.PCSubscribe || sub == nil {
		return errors.New("offer for an unknown connection")
	}
	if err := sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp.SDP}); err != nil {
		return fmt.Errorf("apply the server's offer: %w", err)
	}
	call.mu.Lock()
	pending := call.pendSub
	call.pendSub = nil
	call.mu.Unlock()
	for _, c := range pending {
		_ = sub.AddICECandidate(c)
	}
	answer, err := sub.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("answer the server's offer: %w", err)
	}
	if err := sub.SetLocalDescription(answer); err != nil {
		return fmt.Errorf("answer the server's offer: %w", err)
	}
	return call.send(api.MsgAnswer, api.SDP{PC: api.PCSubscribe, SDP: sub.LocalDescription().SDP})
}

func (call *Call) handleAnswer(sdp api.SDP) error {
	call.mu.Lock()
	pub := call.pub
	call.mu.Unlock()
	if sdp.PC != api.PCPublish || pub == nil {
		return errors.New("answer for an unknown connection")
	}
	if err := pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp.SDP}); err != nil {
		return fmt.Errorf("apply the server's answer: %w", err)
	}
	call.mu.Lock()
	pending := call.pendPub
	call.pendPub = nil
	call.offering = false
	again := call.again
	call.again = false
	call.mu.Unlock()
	for _, c := range pending {
		_ = pub.AddICECandidate(c)
	}
	if again {
		call.negotiate()
	}
	return nil
}

func (call *Call) handleCandidate(c api.Candidate) {
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	call.mu.Lock()
	defer call.mu.Unlock()
	switch c.PC {
	case api.PCPublish:
		if call.pub == nil || call.pub.RemoteDescription() == nil || call.offering {
			if len(call.pendPub) < 64 {
				call.pendPub = append(call.pendPub, init)
			}
			return
		}
		_ = call.pub.AddICECandidate(init)
	case api.PCSubscribe:
		if call.sub == nil || call.sub.RemoteDescription() == nil {
			if len(call.pendSub) < 64 {
				call.pendSub = append(call.pendSub, init)
			}
			return
		}
		_ = call.sub.AddICECandidate(init)
	}
}
