package api

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// HeaderAuth proves a request comes from the holder of a client key:
// "v1 <public key> <unix seconds> <signature>", key and signature in
// unpadded base64url, the signature over AuthSignedText. Handles and
// inboxes are bound to that key.
const HeaderAuth = "Rooms-Auth"

// AuthWindow is how far a signed request's time may be from the server's.
const AuthWindow = 5 * time.Minute

// AuthSignedText is what a client signs to authenticate one request.
func AuthSignedText(method, path string, unix int64) []byte {
	return []byte("rooms/v1 auth\n" + method + " " + path + "\n" + strconv.FormatInt(unix, 10))
}

// SignAuth makes the HeaderAuth value for a request.
func SignAuth(key ed25519.PrivateKey, method, path string, now time.Time) string {
	pub := key.Public().(ed25519.PublicKey)
	ts := now.Unix()
	sig := ed25519.Sign(key, AuthSignedText(method, path, ts))
	return "v1 " + base64.RawURLEncoding.EncodeToString(pub) + " " + strconv.FormatInt(ts, 10) + " " + base64.RawURLEncoding.EncodeToString(sig)
}

// VerifyAuth checks a HeaderAuth value and returns the public key.
func VerifyAuth(header, method, path string, now time.Time) (string, error) {
	parts := strings.Fields(header)
	if len(parts) != 4 || parts[0] != "v1" {
		return "", errors.New("the Rooms-Auth header must be: v1 <public key> <unix time> <signature>")
	}
	pub, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return "", errors.New("the Rooms-Auth public key is not an ed25519 key in unpadded base64url")
	}
	ts, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return "", errors.New("the Rooms-Auth time is not a number")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > AuthWindow || d < -AuthWindow {
		return "", fmt.Errorf("the request's time is %s off the server's; check this machine's clock", d.Round(time.Second))
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || !ed25519.Verify(pub, AuthSignedText(method, path, ts), sig) {
		return "", errors.New("the Rooms-Auth signature does not match")
	}
	return parts[1], nil
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
