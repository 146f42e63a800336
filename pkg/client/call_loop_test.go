package client

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestDispatch: each message the server sends makes its event, keeps the
// state, or ends the call, as run's dispatch says; none needs a network.
func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		t       api.MessageType
		v       any
		event   string // the event's type, "" for none
		err     error
		tracked bool // whether track t1 is known after
	}{
		{api.MsgParticipantJoined, api.Participant{ID: "p2"}, "client.ParticipantJoined", nil, false},
		{api.MsgParticipantLeft, api.ParticipantLeft{}, "client.ParticipantLeft", nil, false},
		{api.MsgRoomUpdated, api.Room{}, "client.RoomUpdated", nil, false},
		{api.MsgMute, api.Mute{Kind: api.KindAudio, Muted: true}, "client.Muted", nil, false},
		{api.MsgChat, api.Chat{Text: "hi"}, "client.Chat", nil, false},
		{api.MsgSpeaking, api.Speaking{ParticipantID: "p2", Speaking: true}, "client.Speaking", nil, false},
		{api.MsgKnock, api.Knock{}, "client.Knock", nil, false},
		{api.MsgKnockEnded, api.KnockEnded{}, "client.KnockEnded", nil, false},
		{api.MsgEnding, api.Ending{}, "client.Ending", nil, false},
		{api.MsgChat, "not a chat", "", nil, false},
		{api.MsgTrackPublished, api.Track{ID: "t1"}, "client.TrackPublished", nil, true},
		{api.MsgTrackUnpublished, api.Track{ID: "t1"}, "client.TrackUnpublished", nil, false},
		{api.MsgRemoved, api.Removed{Reason: "x"}, "client.Removed", ErrRemoved, false},
		{api.MsgEnded, api.Ended{}, "client.Ended", ErrEnded, false},
		{api.MsgError, api.SignalError{Code: api.CodeRateLimited}, "client.ServerError", nil, false},
		{api.MsgError, api.SignalError{Code: api.CodeRoomEnded, Fatal: true}, "", &api.SignalError{}, false},
		{api.MsgOffer, api.SDP{PC: api.PCPublish}, "", errors.New("unknown connection"), false},
		{api.MsgAnswer, api.SDP{PC: api.PCSubscribe}, "", errors.New("unknown connection"), false},
		{"unknown", nil, "", nil, false},
	} {
		t.Run(fmt.Sprintf("%s %v", tc.t, tc.v), func(t *testing.T) {
			call := &Call{events: make(chan Event, 4), s: callState{tracks: map[string]api.Track{}}}
			m, err := api.Encode(tc.t, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if tc.t == api.MsgTrackUnpublished {
				call.s.tracks["t1"] = api.Track{ID: "t1"}
			}
			err = call.dispatch(m)
			var se *api.SignalError
			switch {
			case tc.err == nil && err != nil, tc.err != nil && err == nil:
				t.Fatalf("dispatch = %v, want %v", err, tc.err)
			case errors.Is(tc.err, ErrRemoved) || errors.Is(tc.err, ErrEnded):
				if !errors.Is(err, tc.err) {
					t.Fatalf("dispatch = %v, want %v", err, tc.err)
				}
			case errors.As(tc.err, &se):
				if !errors.As(err, &se) || !isFatal(err) {
					t.Fatalf("dispatch = %v, want a fatal *api.SignalError", err)
				}
			}
			got := ""
			select {
			case e := <-call.events:
				got = fmt.Sprintf("%T", e)
			default:
			}
			if got != tc.event {
				t.Fatalf("event %q, want %q", got, tc.event)
			}
			if _, ok := call.s.tracks["t1"]; ok != tc.tracked {
				t.Fatalf("t1 known: %v, want %v", ok, tc.tracked)
			}
		})
	}
}
