package api

import "net/http"

// ExitClass is how the rooms CLI exits when a request or a call is refused
// with a code; internal/cli turns each class into its exit number.
type ExitClass string

// Exit classes.
const (
	ExitFailure     ExitClass = "failure"     // something went wrong; trying again may help
	ExitUsage       ExitClass = "usage"       // the request itself is wrong
	ExitNotFound    ExitClass = "not_found"   // no such room, or nobody by that name
	ExitRefused     ExitClass = "refused"     // the rules do not allow it
	ExitUnreachable ExitClass = "unreachable" // the server could not be reached
)

// CodeInfo is what every part of rooms knows about one Code.
type CodeInfo struct {
	Code Code `json:"code"`
	// Status is the HTTP status of a problem with this code. A few call
	// sites answer another one, documented with them (invalid_argument is
	// 409 when a name is taken, too_many_connections 503 when the whole
	// server is full). 0: the code is sent only in signalling messages.
	Status int `json:"status"`
	// Final: a call refused with this code ends, and clients do not
	// reconnect, because trying again cannot help. It is not
	// SignalError.Fatal, which says the server closes this connection
	// (a fatal rate_limited is not final: a reconnect may do better).
	Final bool `json:"final"`
	// Exit is how the rooms CLI exits on this code.
	Exit ExitClass `json:"exit"`
	// Message is what a person reads when the server has nothing more
	// precise to say: what happened and, where there is one, what to do.
	Message string `json:"message"`
}

// codeTable is the one table of codes: a new code is a constant in
// problem.go and a row here (TestEveryCodeHasARow checks).
var codeTable = []CodeInfo{
	{CodeInvalidArgument, http.StatusBadRequest, true, ExitUsage, "a value in the request is not valid"},
	{CodeBadTime, http.StatusBadRequest, false, ExitUsage, "that time cannot be used for this room"},
	{CodeUnknownTheme, http.StatusBadRequest, false, ExitUsage, "no theme has that name; `rooms themes` lists them"},
	{CodeUnauthorized, http.StatusUnauthorized, false, ExitRefused, "this needs a host key, a create token or your signed identity"},
	{CodeForbidden, http.StatusForbidden, true, ExitRefused, "only the room's host may do that"},
	{CodeRoomNotFound, http.StatusNotFound, true, ExitNotFound, "no room has that link; check it, or ask its host for a new one"},
	{CodeNotFound, http.StatusNotFound, false, ExitNotFound, "there is nothing by that name here"},
	{CodeRoomEnded, http.StatusConflict, true, ExitRefused, "the room has ended"},
	{CodeTooLarge, http.StatusRequestEntityTooLarge, false, ExitUsage, "that is larger than the server takes"},
	{CodeRateLimited, http.StatusTooManyRequests, false, ExitFailure, "too many requests; wait a moment and try again"},
	{CodeTooManyConnections, http.StatusTooManyRequests, false, ExitFailure, "too many call connections; leave a call first, or try again later"},
	{CodeUnknownHost, http.StatusMisdirectedRequest, false, ExitFailure, "this server does not answer to that name"},
	{CodeCrossOrigin, http.StatusForbidden, false, ExitFailure, "a web page of another site may not do that"},
	{CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, false, ExitFailure, "the request body must be JSON (Content-Type: application/json)"},
	{CodeMethodNotAllow, http.StatusMethodNotAllowed, false, ExitFailure, "that method is not allowed here"},
	{CodeInternal, http.StatusInternalServerError, false, ExitFailure, "internal error; the server log has details"},
	{CodeUnavailable, http.StatusServiceUnavailable, false, ExitFailure, "the server cannot take this now; try again shortly"},
	{CodeRoomFull, 0, true, ExitRefused, "the room is full; try again when someone leaves"},
	{CodeRoomLocked, 0, true, ExitRefused, "the room is locked: the host is not letting anyone new in"},
	{CodeBanned, 0, true, ExitRefused, "you were removed from this room by the host and cannot come back in"},
	{CodeNotOpenYet, 0, true, ExitRefused, "the room is not open yet"},
	{CodeReplaced, 0, true, ExitRefused, "you joined from another connection; this one is closed"},
	{CodeScreenShareLimit, 0, false, ExitRefused, "the call already shows as many shared screens as the room allows"},
	{CodeKnockDeclined, 0, true, ExitRefused, "the host declined to let you in; you cannot knock on this room again"},
	{CodeKnockTimeout, 0, true, ExitRefused, "nobody answered your knock; try again later, or ask the host to unlock the room"},
}

var codeIndex = func() map[Code]CodeInfo {
	m := make(map[Code]CodeInfo, len(codeTable))
	for _, c := range codeTable {
		m[c.Code] = c
	}
	return m
}()

// Codes is every code with what is known of it, in the table's order.
func Codes() []CodeInfo { return append([]CodeInfo(nil), codeTable...) }

// Info is what the table says of c. A code it does not know (one from a
// newer server) is a failure with status 500, not final, with no message.
func (c Code) Info() CodeInfo {
	if i, ok := codeIndex[c]; ok {
		return i
	}
	return CodeInfo{Code: c, Status: http.StatusInternalServerError, Exit: ExitFailure}
}

// Status is the HTTP status of a problem with code c.
func (c Code) Status() int { return c.Info().Status }

// Final says a call refused with c ends: reconnecting cannot help.
func (c Code) Final() bool { return c.Info().Final }

// Exit is how the rooms CLI exits on c.
func (c Code) Exit() ExitClass { return c.Info().Exit }

// Message is the default text for people of c.
func (c Code) Message() string { return c.Info().Message }
