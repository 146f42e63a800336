// Package turn is roomsd's TURN side: the built-in relay (pion/turn) for
// clients whose network lets neither UDP nor TCP reach the media port,
// and the short-lived credentials roomsd hands each participant in its
// join answer, for the built-in relay or an external one (coturn's REST
// scheme, --turn-url/--turn-secret).
//
// The credential scheme is coturn's "TURN REST API" one
// (use-auth-secret): the username is "EXPIRY:PARTICIPANT" (EXPIRY in unix
// seconds) and the password is base64(HMAC-SHA1(secret, username)), so a
// TURN server that knows the secret checks it without asking roomsd.
package turn

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // the REST scheme's MAC, fixed by coturn
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// DefaultCredentialTTL is how long a credential handed out in a join is
// good for. A TURN client refreshes its allocation with the same
// credential, so it must outlive the longest call on one join; a rejoin
// brings a new one.
const DefaultCredentialTTL = 12 * time.Hour

// MaxCredentialTTL bounds --turn-credential-ttl and the expiry the
// built-in relay believes.
const MaxCredentialTTL = 48 * time.Hour

// MinSecretLen is the shortest --turn-secret accepted.
const MinSecretLen = 16

// Mint makes the credential of participant, good until now+ttl.
func Mint(secret, participant string, ttl time.Duration, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(ttl).Unix(), 10) + ":" + participant
	return username, password64(secret, username)
}

func password64(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Errors of Check.
var (
	ErrMalformed = errors.New("turn username is not EXPIRY:PARTICIPANT")
	ErrExpired   = errors.New("turn credential expired")
	ErrTooLong   = errors.New("turn credential expires too far in the future")
)

// Parse reads a username as its expiry and participant, refusing one that
// expired at now or lasts longer than MaxCredentialTTL from now.
func Parse(username string, now time.Time) (participant string, err error) {
	exp, who, ok := strings.Cut(username, ":")
	if !ok || who == "" || len(username) > 128 {
		return "", ErrMalformed
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return "", ErrMalformed
	}
	switch {
	case t <= now.Unix():
		return "", ErrExpired
	case t > now.Add(MaxCredentialTTL).Unix():
		return "", ErrTooLong
	}
	return who, nil
}

// Check says whether password is the one secret gives username, and the
// username is current at now.
func Check(secret, username, password string, now time.Time) (participant string, err error) {
	who, err := Parse(username, now)
	if err != nil {
		return "", err
	}
	if !hmac.Equal([]byte(password), []byte(password64(secret, username))) {
		return "", errors.New("turn password does not match")
	}
	return who, nil
}

// Issuer hands each participant the ICE servers of a join: URLs with a
// credential minted for them.
type Issuer struct {
	URLs   []string
	Secret string
	TTL    time.Duration
	Now    func() time.Time
}

// ICEServers is what participant gets in its join answer; nil when there
// is no TURN.
func (is *Issuer) ICEServers(participant string) []api.ICEServer {
	if is == nil || len(is.URLs) == 0 {
		return nil
	}
	now := time.Now
	if is.Now != nil {
		now = is.Now
	}
	ttl := is.TTL
	if ttl == 0 {
		ttl = DefaultCredentialTTL
	}
	user, pass := Mint(is.Secret, participant, ttl, now())
	return []api.ICEServer{{URLs: append([]string(nil), is.URLs...), Username: user, Credential: pass}}
}

// CheckURL checks a TURN URL as --turn-url takes it:
// turn:HOST[:PORT][?transport=udp|tcp] or turns:HOST[:PORT][?transport=tcp].
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return fmt.Errorf("--turn-url %q: %s; write turn:HOST:3478?transport=udp, turn:HOST:3478?transport=tcp or turns:HOST:5349?transport=tcp", raw, why)
	}
	if err != nil {
		return bad(err.Error())
	}
	if u.Scheme != "turn" && u.Scheme != "turns" {
		return bad("the scheme must be turn: or turns:")
	}
	if u.Opaque == "" || strings.ContainsAny(u.Opaque, "/@ ") || u.User != nil || u.Fragment != "" {
		return bad("it needs a host and no path, user or fragment")
	}
	host := u.Opaque
	if h, port, err := net.SplitHostPort(u.Opaque); err == nil {
		host = h
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("the port must be 1-65535")
		}
	}
	if host == "" {
		return bad("it needs a host")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad(err.Error())
	}
	for k := range q {
		if k != "transport" {
			return bad("the only query key is transport")
		}
	}
	switch tr := q.Get("transport"); {
	case tr == "" || tr == "tcp":
	case tr == "udp" && u.Scheme == "turn":
	default:
		return bad("transport must be udp or tcp (turns: is TLS over tcp)")
	}
	if len(raw) > api.MaxICEURLLen {
		return bad(fmt.Sprintf("it is longer than %d bytes", api.MaxICEURLLen))
	}
	return nil
}
