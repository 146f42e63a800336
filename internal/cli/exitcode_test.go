package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// TestExitCodesFollowTheTable: a refusal over HTTP and one on the call's
// signalling channel exit alike, by the code's class in pkg/api's table.
func TestExitCodesFollowTheTable(t *testing.T) {
	want := map[apitypes.ExitClass]int{
		apitypes.ExitFailure: ExitFailure, apitypes.ExitUsage: ExitUsage, apitypes.ExitNotFound: ExitNotFound,
		apitypes.ExitRefused: ExitRefused, apitypes.ExitUnreachable: ExitUnreachable,
	}
	for _, c := range apitypes.Codes() {
		if got := ExitCode(fmt.Errorf("wrapped: %w", &apitypes.Problem{Code: c.Code})); got != want[c.Exit] {
			t.Errorf("problem %s exits %d, want %d (%s)", c.Code, got, want[c.Exit], c.Exit)
		}
		err := joinError("http://127.0.0.1:7880", fmt.Errorf("join: %w", &apitypes.SignalError{Code: c.Code, Message: "m", Fatal: true}))
		if got := ExitCode(err); got != want[c.Exit] {
			t.Errorf("refused join %s exits %d, want %d (%s)", c.Code, got, want[c.Exit], c.Exit)
		}
		if got := errorCode(err, ExitCode(err)); got != string(c.Code) {
			t.Errorf("refused join %s reports code %q", c.Code, got)
		}
	}
	if got := ExitCode(&apitypes.Problem{Code: "from_a_newer_server"}); got != ExitFailure {
		t.Errorf("an unknown code exits %d, want %d", got, ExitFailure)
	}
}

// TestJoinErrorMessages: the server's words, the table's when it sent
// none, and what the CLI's flags can do.
func TestJoinErrorMessages(t *testing.T) {
	opens := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	tests := []struct {
		name string
		se   apitypes.SignalError
		want string // a regexp-free substring
	}{
		{"the server's words", apitypes.SignalError{Code: apitypes.CodeRoomFull, Message: "the room is full; try again when someone leaves"}, "the room is full; try again when someone leaves"},
		{"the table's when the server sent none", apitypes.SignalError{Code: apitypes.CodeKnockDeclined}, apitypes.CodeKnockDeclined.Message()},
		{"a locked room suggests --knock", apitypes.SignalError{Code: apitypes.CodeRoomLocked, Message: apitypes.CodeRoomLocked.Message()},
			"the room is locked: the host is not letting anyone new in; add --knock to ask the host to let you in"},
		{"a room not open yet suggests --wait", apitypes.SignalError{Code: apitypes.CodeNotOpenYet, Message: "the room opens at 2030", OpensAt: &opens}, "run this again then, or add --wait"},
		{"not open yet without a time", apitypes.SignalError{Code: apitypes.CodeNotOpenYet, Message: "the room opens later"}, "the room opens later"},
		{"an unknown code with no words", apitypes.SignalError{Code: "from_a_newer_server"}, "from_a_newer_server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := tt.se
			err := joinError("http://127.0.0.1:7880", &se)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q, want it to contain %q", err.Error(), tt.want)
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.apiCode != tt.se.Code {
				t.Errorf("%v carries no code %s", err, tt.se.Code)
			}
		})
	}
}
