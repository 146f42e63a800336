package client

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// dispatch handles a message the reader read; an error drops the
// connection (a final one ends the call). run's.
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
			call.s.tracks[t.ID] = t
			call.emit(TrackPublished{t})
		}
	case api.MsgTrackUnpublished:
		var t api.Track
		if json.Unmarshal(m.Data, &t) == nil {
			delete(call.s.tracks, t.ID)
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

// handleOffer answers the server's offer on the subscribe connection.
func (call *Call) handleOffer(sdp api.SDP) error {
	s := &call.s
	if sdp.PC != api.PCSubscribe || s.subNeg == nil {
		return errors.New("offer for an unknown connection")
	}
	answer, err := s.subNeg.HandleOffer(sdp.SDP, nil)
	if err != nil {
		return fmt.Errorf("answer the server's offer: %w", err)
	}
	return s.conn.post(api.MsgAnswer, api.SDP{PC: api.PCSubscribe, SDP: answer.SDP})
}

// handleAnswer applies the server's answer on the publish connection,
// which offers again if tracks changed meanwhile.
func (call *Call) handleAnswer(sdp api.SDP) error {
	s := &call.s
	if sdp.PC != api.PCPublish || s.pubNeg == nil {
		return errors.New("answer for an unknown connection")
	}
	if err := s.pubNeg.HandleAnswer(sdp.SDP); err != nil {
		return fmt.Errorf("apply the server's answer: %w", err)
	}
	return nil
}

// handleCandidate adds a server candidate, held until the description it
// belongs to is set (at most api.MaxCandidates; more are dropped).
func (call *Call) handleCandidate(c api.Candidate) {
	s := &call.s
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	switch {
	case c.PC == api.PCPublish && s.pubNeg != nil:
		_ = s.pubNeg.AddCandidate(init)
	case c.PC == api.PCSubscribe && s.subNeg != nil:
		_ = s.subNeg.AddCandidate(init)
	}
}
