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
	if mk, ok := eventOf[m.Type]; ok {
		if e, ok := mk(m.Data); ok {
			call.emit(e)
		}
		return nil
	}
	switch m.Type {
	case api.MsgOffer, api.MsgAnswer:
		var sdp api.SDP
		if err := json.Unmarshal(m.Data, &sdp); err != nil {
			return fmt.Errorf("read %s: %w", m.Type, err)
		}
		if m.Type == api.MsgOffer {
			return call.handleOffer(sdp)
		}
		return call.handleAnswer(sdp)
	case api.MsgCandidate:
		var c api.Candidate
		if err := json.Unmarshal(m.Data, &c); err != nil {
			return fmt.Errorf("read candidate: %w", err)
		}
		call.handleCandidate(c)
	case api.MsgTrackPublished, api.MsgTrackUnpublished:
		var t api.Track
		if json.Unmarshal(m.Data, &t) != nil {
			return nil
		}
		if m.Type == api.MsgTrackPublished {
			call.s.tracks[t.ID] = t
			call.emit(TrackPublished{t})
		} else {
			delete(call.s.tracks, t.ID)
			call.emit(TrackUnpublished{t})
		}
	case api.MsgLayers:
		var l api.Layers
		if json.Unmarshal(m.Data, &l) == nil {
			call.setLayers(l)
		}
	case api.MsgRemoved:
		var r api.Removed
		_ = json.Unmarshal(m.Data, &r)
		call.emit(Removed{r})
		return ErrRemoved
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

// eventOf makes the event of each message that is only news: one that
// does not decode is skipped.
var eventOf = map[api.MessageType]func(json.RawMessage) (Event, bool){
	api.MsgParticipantJoined: decode(func(p api.Participant) Event { return ParticipantJoined{p} }),
	api.MsgParticipantLeft:   decode(func(p api.ParticipantLeft) Event { return ParticipantLeft{p} }),
	api.MsgRoomUpdated:       decode(func(r api.Room) Event { return RoomUpdated{r} }),
	api.MsgMute:              decode(func(m api.Mute) Event { return Muted{m} }),
	api.MsgChat:              decode(func(c api.Chat) Event { return Chat{c} }),
	api.MsgSpeaking: decode(func(sp api.Speaking) Event {
		return Speaking{ParticipantID: sp.ParticipantID, Speaking: sp.Speaking, Active: sp.Active}
	}),
	api.MsgKnock:      decode(func(k api.Knock) Event { return Knock{k} }),
	api.MsgKnockEnded: decode(func(k api.KnockEnded) Event { return KnockEnded{k} }),
	api.MsgEnding:     decode(func(e api.Ending) Event { return Ending{e} }),
	api.MsgBandwidth: decode(func(b api.Bandwidth) Event {
		if len(b.Paused) > api.MaxBandwidthPaused {
			b.Paused = b.Paused[:api.MaxBandwidthPaused]
		}
		return Bandwidth{b}
	}),
}

// decode makes the event mk makes of a message body that decodes as T.
func decode[T any](mk func(T) Event) func(json.RawMessage) (Event, bool) {
	return func(data json.RawMessage) (Event, bool) {
		var v T
		if json.Unmarshal(data, &v) != nil {
			return nil, false
		}
		return mk(v), true
	}
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
	if s.trickled != nil && len(s.trickled[c.PC]) < api.MaxCandidates {
		s.trickled[c.PC] = append(s.trickled[c.PC], c.Candidate)
	}
	switch {
	case c.PC == api.PCPublish && s.pubNeg != nil:
		_ = s.pubNeg.AddCandidate(init)
	case c.PC == api.PCSubscribe && s.subNeg != nil:
		_ = s.subNeg.AddCandidate(init)
	}
}
