package client

import (
	"errors"
	"fmt"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestIsFatalFollowsTheTable: the client stops reconnecting on exactly
// the codes the table calls final, and on its own ends of a call.
func TestIsFatalFollowsTheTable(t *testing.T) {
	for _, c := range api.Codes() {
		err := fmt.Errorf("join: %w", &api.SignalError{Code: c.Code, Fatal: true})
		if got := isFatal(err); got != c.Final {
			t.Errorf("%s: isFatal %v, the table says final %v", c.Code, got, c.Final)
		}
	}
	for _, err := range []error{ErrRemoved, ErrEnded, ErrLeft} {
		if !isFatal(fmt.Errorf("call: %w", err)) {
			t.Errorf("%v is not fatal", err)
		}
	}
	// A refused upgrade (an HTTP problem) ends the call on the same codes:
	// a rejoin to a room deleted meanwhile is not tried for two minutes.
	for _, c := range api.Codes() {
		if c.Status == 0 {
			continue
		}
		err := fmt.Errorf("the server refused the call connection: %w", &api.Problem{Code: c.Code, Status: c.Status})
		if got := isFatal(err); got != c.Final {
			t.Errorf("refused upgrade %s: isFatal %v, the table says final %v", c.Code, got, c.Final)
		}
	}
	// A busy server and a lost connection are tried again.
	for _, err := range []error{&api.Problem{Code: api.CodeTooManyConnections}, ErrUnreachable, errors.New("EOF")} {
		if isFatal(err) {
			t.Errorf("%v is fatal", err)
		}
	}
}
