package call

import (
	"errors"
	"fmt"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// Code maps an admission or action error to its stable code and the
// message to send with it: the code's own from the table of codes
// (pkg/api), or the error's when it says more.
func Code(err error) (api.Code, string) {
	var nyo *room.NotOpenYetError
	if errors.As(err, &nyo) {
		return api.CodeNotOpenYet, fmt.Sprintf("the room opens at %s", nyo.At.UTC().Format(time.RFC3339))
	}
	for _, e := range errorCodes {
		if errors.Is(err, e.err) {
			if e.own {
				return e.code, err.Error()
			}
			return e.code, e.code.Message()
		}
	}
	return api.CodeInternal, api.CodeInternal.Message()
}

// errorCodes says which code each error of the rules, the store and the
// hub is sent as; own: with the error's words rather than the code's.
var errorCodes = []struct {
	err  error
	code api.Code
	own  bool
}{
	{room.ErrFull, api.CodeRoomFull, false},
	{room.ErrLocked, api.CodeRoomLocked, false},
	{room.ErrBanned, api.CodeBanned, false},
	{room.ErrEnded, api.CodeRoomEnded, false},
	{store.ErrNotFound, api.CodeRoomNotFound, false},
	{room.ErrForbidden, api.CodeForbidden, false},
	{ErrNoSuchParticipant, api.CodeNotFound, true},
	{ErrHubClosed, api.CodeUnavailable, true},
	{ErrKnockDeclined, api.CodeKnockDeclined, false},
	{ErrKnockTimeout, api.CodeKnockTimeout, false},
	{ErrKnocksFull, api.CodeRateLimited, true},
	{ErrKnockRateLimited, api.CodeRateLimited, true},
	{errKnockReplaced, api.CodeReplaced, true},
	{ErrNoSuchKnock, api.CodeNotFound, true},
}
