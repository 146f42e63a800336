package call

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// TestCodeOfErrors: each error of the rules, the store and the hub goes
// out as its code, with the code's message from the table or, where the
// error says more, the error's own.
func TestCodeOfErrors(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		err  error
		code api.Code
		msg  string
	}{
		{room.ErrFull, api.CodeRoomFull, api.CodeRoomFull.Message()},
		{fmt.Errorf("join: %w", room.ErrLocked), api.CodeRoomLocked, api.CodeRoomLocked.Message()},
		{room.ErrBanned, api.CodeBanned, api.CodeBanned.Message()},
		{room.ErrEnded, api.CodeRoomEnded, "the room has ended"},
		{store.ErrNotFound, api.CodeRoomNotFound, api.CodeRoomNotFound.Message()},
		{room.ErrForbidden, api.CodeForbidden, "only the room's host may do that"},
		{&room.NotOpenYetError{At: at}, api.CodeNotOpenYet, "the room opens at 2030-01-02T03:04:05Z"},
		{ErrNoSuchParticipant, api.CodeNotFound, ErrNoSuchParticipant.Error()},
		{ErrHubClosed, api.CodeUnavailable, ErrHubClosed.Error()},
		{ErrKnockDeclined, api.CodeKnockDeclined, api.CodeKnockDeclined.Message()},
		{ErrKnockTimeout, api.CodeKnockTimeout, api.CodeKnockTimeout.Message()},
		{ErrKnocksFull, api.CodeRateLimited, ErrKnocksFull.Error()},
		{ErrKnockRateLimited, api.CodeRateLimited, ErrKnockRateLimited.Error()},
		{errKnockReplaced, api.CodeReplaced, errKnockReplaced.Error()},
		{ErrNoSuchKnock, api.CodeNotFound, ErrNoSuchKnock.Error()},
		{errors.New("disk on fire"), api.CodeInternal, api.CodeInternal.Message()},
	}
	for _, tt := range tests {
		code, msg := Code(tt.err)
		if code != tt.code || msg != tt.msg {
			t.Errorf("Code(%v) = %s %q, want %s %q", tt.err, code, msg, tt.code, tt.msg)
		}
		if msg == "" {
			t.Errorf("Code(%v) has no message", tt.err)
		}
	}
}
