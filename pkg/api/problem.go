package api

import "fmt"

// Code is a stable, machine-readable error code. The REST API and the
// signalling protocol use the same codes.
type Code string

// Codes. New codes may be added; existing ones never change meaning.
const (
	CodeInvalidArgument Code = "invalid_argument"
	CodeBadTime         Code = "bad_time"
	CodeUnknownTheme    Code = "unknown_theme"
	CodeRoomNotFound    Code = "room_not_found"
	CodeRoomEnded       Code = "room_ended"
	CodeForbidden       Code = "forbidden"
	CodeUnauthorized    Code = "unauthorized"
	CodeRateLimited     Code = "rate_limited"
	CodeTooLarge        Code = "too_large"
	CodeNotFound        Code = "not_found"
	CodeMethodNotAllow  Code = "method_not_allowed"
	CodeUnavailable     Code = "unavailable"
	CodeInternal        Code = "internal"
	// Admission codes, used when joining a call.
	CodeRoomFull   Code = "room_full"
	CodeRoomLocked Code = "room_locked"
	CodeBanned     Code = "banned"
	CodeNotOpenYet Code = "not_open_yet"
	// CodeReplaced: the same key joined from another connection; the old
	// one must not reconnect.
	CodeReplaced Code = "replaced"
	// CodeScreenShareLimit: the room already has as many screens shared
	// as it allows.
	CodeScreenShareLimit Code = "screen_share_limit"
	// CodeUnknownHost: the request's Host is not a name this server answers
	// to (HTTP 421), as in a DNS rebinding attack.
	CodeUnknownHost Code = "unknown_host"
	// CodeCrossOrigin: a web page of another origin tried to change
	// something (HTTP 403).
	CodeCrossOrigin Code = "cross_origin"
	// CodeUnsupportedMediaType: a request body that is not
	// application/json (HTTP 415).
	CodeUnsupportedMediaType Code = "unsupported_media_type"
	// CodeTooManyConnections: the client's address, or the whole server,
	// holds as many call connections as it may (HTTP 429 or 503).
	CodeTooManyConnections Code = "too_many_connections"
	// CodeKnockDeclined: the host declined this key's knock; it cannot
	// knock on this room again.
	CodeKnockDeclined Code = "knock_declined"
	// CodeKnockTimeout: nobody answered the knock in time.
	CodeKnockTimeout Code = "knock_timeout"
)

// ProblemType is the "type" of every Problem: "about:blank", which RFC 9457
// (section 4.2.1) defines as "no more than the HTTP status", with the status
// phrase as the title. The project owns no domain to name its own types
// under, and a URI it does not control could later answer with anything;
// the meaning is carried by the stable Code extension member instead.
const ProblemType = "about:blank"

// Problem is an RFC 9457 problem document with a stable Code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   Code   `json:"code"`
	// Themes lists the known themes on unknown_theme.
	Themes []string `json:"themes,omitempty"`
	// MaxParticipants is the server cap on invalid capacity.
	MaxParticipants int `json:"max_participants,omitempty"`
	// MaxScreenShares is the server cap on screens shared at once, on
	// invalid room settings.
	MaxScreenShares int `json:"max_screen_shares,omitempty"`
	// RetryAfterSeconds says when to try again on rate_limited.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
}

// Error makes a Problem an error; the text is what a user reads.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Detail
	}
	if p.Title != "" {
		return p.Title
	}
	return fmt.Sprintf("%s (HTTP %d)", p.Code, p.Status)
}
