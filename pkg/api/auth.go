package api

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// HeaderAuth proves a request comes from the holder of a client key:
// "v2 <public key> <unix seconds> <nonce> <signature>", key, nonce and
// signature in unpadded base64url, the signature over AuthSignedText.
// Handles and inboxes are bound to that key.
//
// A signature covers the server's origin, the method, the path with its
// query, a hash of the body, the time and a nonce, so it is good for one
// request to one server: a server that receives it cannot replay it
// elsewhere (another origin), with another body, or twice (the server
// remembers nonces for AuthWindow on either side of their time).
const HeaderAuth = "Rooms-Auth"

// AuthWindow is how far a signed request's time may be from the server's.
const AuthWindow = 5 * time.Minute

// AuthNonceBytes is the size of a request's nonce before encoding.
const AuthNonceBytes = 16

// AuthRequest is what one signed request is: where it goes and what it
// carries.
type AuthRequest struct {
	// Origin is the server as the client names it: scheme://host[:port],
	// as CanonicalOrigin writes it.
	Origin string
	Method string
	// Target is the path and query, as sent (an http.Request's RequestURI).
	Target string
	Body   []byte
}

// AuthSignedText is what a client signs to authenticate one request.
func AuthSignedText(req AuthRequest, unix int64, nonce string) []byte {
	sum := sha256.Sum256(req.Body)
	return []byte("rooms/v2 auth\n" + req.Origin + "\n" + req.Method + " " + req.Target + "\n" +
		base64.RawURLEncoding.EncodeToString(sum[:]) + "\n" + strconv.FormatInt(unix, 10) + "\n" + nonce)
}

// SignAuth makes the HeaderAuth value for a request, with a fresh nonce.
func SignAuth(key ed25519.PrivateKey, req AuthRequest, now time.Time) string {
	pub := key.Public().(ed25519.PublicKey)
	ts := now.Unix()
	n := make([]byte, AuthNonceBytes)
	_, _ = rand.Read(n) // crypto/rand.Read never fails on Linux; it panics rather than return short
	nonce := base64.RawURLEncoding.EncodeToString(n)
	sig := ed25519.Sign(key, AuthSignedText(req, ts, nonce))
	return "v2 " + base64.RawURLEncoding.EncodeToString(pub) + " " + strconv.FormatInt(ts, 10) + " " + nonce + " " + base64.RawURLEncoding.EncodeToString(sig)
}

// Auth is a checked HeaderAuth: who signed, and the nonce and time the
// server must remember to refuse the same signature again.
type Auth struct {
	PublicKey string
	Nonce     string
	Time      time.Time
}

// VerifyAuth checks a HeaderAuth value against the request the server
// received (with the origin the server knows itself by) and returns who
// signed it. It does not know which nonces were seen: the caller refuses
// a repeated one.
func VerifyAuth(header string, req AuthRequest, now time.Time) (Auth, error) {
	parts := strings.Fields(header)
	if len(parts) > 0 && parts[0] == "v1" {
		return Auth{}, errors.New("this Rooms-Auth signature is of an older rooms; update rooms (the CLI) and try again")
	}
	if len(parts) != 5 || parts[0] != "v2" {
		return Auth{}, errors.New("the Rooms-Auth header must be: v2 <public key> <unix time> <nonce> <signature>")
	}
	pub, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return Auth{}, errors.New("the Rooms-Auth public key is not an ed25519 key in unpadded base64url")
	}
	ts, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Auth{}, errors.New("the Rooms-Auth time is not a number")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > AuthWindow || d < -AuthWindow {
		return Auth{}, fmt.Errorf("the request's time is %s off the server's; check this machine's clock", d.Round(time.Second))
	}
	if n, err := base64.RawURLEncoding.DecodeString(parts[3]); err != nil || len(n) != AuthNonceBytes {
		return Auth{}, fmt.Errorf("the Rooms-Auth nonce is not %d bytes in unpadded base64url", AuthNonceBytes)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[4])
	if err != nil || !ed25519.Verify(pub, AuthSignedText(req, ts, parts[3]), sig) {
		return Auth{}, errors.New("the Rooms-Auth signature does not match this request to this server")
	}
	return Auth{PublicKey: parts[1], Nonce: parts[3], Time: time.Unix(ts, 0)}, nil
}

// CanonicalOrigin writes a server's address as the origin signatures
// name: lower-case scheme and host, the port only when it is not the
// scheme's default, no path. "HTTP://Rooms.Example.com:443/x" is not
// https, so it stays "http://rooms.example.com:443".
func CanonicalOrigin(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "HTTP" && u.Scheme != "HTTPS") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", server)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// Handle is a name on a server bound to a client's key.
type Handle struct {
	Handle string `json:"handle"`
}

// Notification is what a handle's inbox holds and what webhooks receive.
type Notification struct {
	// ID orders a handle's inbox; resume a stream after it.
	ID   int64  `json:"id,omitempty"`
	Type string `json:"type"` // invited, reminder, room_open, rescheduled, cancelled, ending_soon
	Room Room   `json:"room"`
	Link string `json:"link"`
	// At is when the room opens (or opened).
	At time.Time `json:"at"`
	// OldAt, on rescheduled, is the time it was booked for before.
	OldAt *time.Time `json:"old_at,omitempty"`
}

// NotificationList is the body of GET /v1/inbox.
type NotificationList struct {
	Notifications []Notification `json:"notifications"`
}

// Invitation says how an invitee of a room is told.
type Invitation struct {
	Kind    string `json:"kind"` // handle or email
	Address string `json:"address"`
	// Delivery is "inbox", "webhook" or why the invitee will not be told.
	Delivery string `json:"delivery"`
}

// Delivery is one notification's delivery, for rooms webhooks.
type Delivery struct {
	// ID names the delivery for POST /v1/rooms/{id}/redeliver.
	ID        int64      `json:"id"`
	Type      string     `json:"type"`
	Channel   string     `json:"channel"`
	Recipient string     `json:"recipient"`
	State     string     `json:"state"` // pending, delivered, dead
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	NextTry   *time.Time `json:"next_try,omitempty"`
	Delivered *time.Time `json:"delivered_at,omitempty"`
}

// DeliveryList is the body of GET /v1/rooms/{id}/deliveries.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
}

// WebhookSecret is one webhook's signing secret, shown once at create.
type WebhookSecret struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// RedeliverRequest is the body of POST /v1/rooms/{id}/redeliver: one
// delivery's id, or 0 for every dead webhook delivery of the room.
type RedeliverRequest struct {
	ID int64 `json:"id,omitempty"`
}

// RedeliverResult is its answer: how many deliveries will be tried again.
type RedeliverResult struct {
	Redelivered int `json:"redelivered"`
}
