package cli

import (
	"errors"
	"fmt"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// Exit codes, documented in `rooms --help` and docs/cli.md. Later commands
// reuse them.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitNotFound    = 3
	ExitRefused     = 4
	ExitUnreachable = 5
)

// exitError carries an exit code and the message the user reads.
type exitError struct {
	code int
	err  error
	// apiCode, when set, is the stable code --json reports.
	apiCode api.Code
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a mistake in how the command was called.
func usageErr(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// codedUsageErr is a usage error the server would report with code.
func codedUsageErr(code api.Code, format string, args ...any) error {
	return &exitError{code: ExitUsage, apiCode: code, err: fmt.Errorf(format, args...)}
}

// refusedErr is something the rules do not allow.
func refusedErr(format string, args ...any) error {
	return &exitError{code: ExitRefused, err: fmt.Errorf(format, args...)}
}

// ExitCode says which exit code err deserves.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, client.ErrUnreachable) {
		return ExitUnreachable
	}
	var p *api.Problem
	if errors.As(err, &p) {
		return exitFor(p.Code)
	}
	return ExitFailure
}

// exitFor is the exit code of a refusal with code, by its class in the
// table of codes (pkg/api).
func exitFor(code api.Code) int {
	switch code.Exit() {
	case api.ExitUsage:
		return ExitUsage
	case api.ExitNotFound:
		return ExitNotFound
	case api.ExitRefused:
		return ExitRefused
	case api.ExitUnreachable:
		return ExitUnreachable
	}
	return ExitFailure
}

// errorCode is the stable code shown for err in --json output.
func errorCode(err error, exit int) string {
	var ee *exitError
	if errors.As(err, &ee) && ee.apiCode != "" {
		return string(ee.apiCode)
	}
	var p *api.Problem
	if errors.As(err, &p) {
		return string(p.Code)
	}
	switch exit {
	case ExitUsage:
		return "usage"
	case ExitUnreachable:
		return "unreachable"
	case ExitNotFound:
		return string(api.CodeRoomNotFound)
	case ExitRefused:
		return string(api.CodeForbidden)
	}
	return "failure"
}
