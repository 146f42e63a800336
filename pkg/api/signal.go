package api

import (
	"encoding/json"
	"time"
)

// SignalProtocol is the WebSocket subprotocol of the signalling channel. A
// client that does not offer it is refused, so the protocol can change
// under a new name without confusing old clients.
const SignalProtocol = "rooms.v1"

// Bounds of the signalling channel. The server enforces every one.
const (
	// MaxSignalMessage bounds one message; SDP for a 50-person call fits.
	MaxSignalMessage = 256 << 10
	// MaxChatRunes bounds a chat message.
	MaxChatRunes = 1000
	// MaxNameRunes bounds a display name.
	MaxNameRunes = 64
	// MaxViewTracks bounds a view message's list of hidden tracks.
	MaxViewTracks = 200
	// SignalRatePerSecond and SignalBurst bound messages per connection.
	SignalRatePerSecond = 20
	SignalBurst         = 100
	// ChatPerMinute bounds chat messages per participant.
	ChatPerMinute = 30
)

// Bounds of what a client's SDP and ICE may cost the server; see
// docs/protocol.md. The server checks the raw text before it parses it.
const (
	// MaxOfferMediaSections bounds the live media sections of a publish
	// offer (port not 0, not inactive): a publisher sends microphone,
	// camera, a screen and its sound, with room to spare.
	MaxOfferMediaSections = 8
	// MaxOfferSections bounds every m= line of a publish offer, live or
	// not: a browser leaves an inactive section behind for each screen
	// it stops sharing, and the server cannot reuse it, so this allows
	// about 28 shares on one connection.
	MaxOfferSections = 32
	// MaxOfferBytes bounds a publish offer or a subscribe answer.
	// Chromium's offer of microphone and a three-layer camera is about
	// 5.7 KB with its candidates, and of 8 sections, 5 of them simulcast
	// video, 27 KB.
	MaxOfferBytes = 64 << 10
	// MaxCandidates bounds the a=candidate lines of one offer or answer
	// (a browser that gathered before offering lists its candidates in
	// every section until BUNDLE is agreed), and the candidates trickled
	// on one PeerConnection over its life.
	MaxCandidates = 64
	// OfferCostBurst and OfferCostPerSecond bound publish offers per
	// connection by cost: an offer costs 1 plus its m= sections, taken
	// from a bucket of OfferCostBurst that refills at OfferCostPerSecond.
	// Joining and sharing a screen a few times cost a fraction of it.
	OfferCostBurst     = 60
	OfferCostPerSecond = 2
)

// Message is one signalling message: a type and its data.
type Message struct {
	Type MessageType     `json:"type"`
	Data json.RawMessage `json:"data,omitempty"`
}

// MessageType names a signalling message.
type MessageType string

// Messages from the server.
const (
	MsgHello             MessageType = "hello"
	MsgJoined            MessageType = "joined"
	MsgParticipantJoined MessageType = "participant_joined"
	MsgParticipantLeft   MessageType = "participant_left"
	MsgTrackPublished    MessageType = "track_published"
	MsgTrackUnpublished  MessageType = "track_unpublished"
	MsgRoomUpdated       MessageType = "room_updated"
	MsgSpeaking          MessageType = "speaking"
	MsgRemoved           MessageType = "removed"
	MsgEnded             MessageType = "ended"
	MsgEnding            MessageType = "ending"
	MsgError             MessageType = "error"
	// MsgLayers tells a simulcast publisher which of a track's layers
	// somebody receives: it may stop encoding the others.
	MsgLayers MessageType = "layers"
	// MsgBandwidth tells a participant which of the others' video tracks
	// the server holds back from it because its downlink cannot carry
	// them (Bandwidth); sent when that changes.
	MsgBandwidth MessageType = "bandwidth"
)

// Messages from the client.
const (
	MsgJoin  MessageType = "join"
	MsgLeave MessageType = "leave"
	MsgHost  MessageType = "host"
	// MsgView says which of the others' video this participant does not
	// show now; the server stops sending it until it is shown again.
	MsgView MessageType = "view"
)

// Messages either side sends.
const (
	MsgOffer     MessageType = "offer"
	MsgAnswer    MessageType = "answer"
	MsgCandidate MessageType = "candidate"
	MsgMute      MessageType = "mute"
	MsgChat      MessageType = "chat"
)

// Hello is the server's first message: the challenge a joiner signs.
type Hello struct {
	Protocol  string `json:"protocol"`
	Challenge string `json:"challenge"` // base64url, 32 random bytes
	Server    string `json:"server"`    // roomsd version
}

// JoinSignedText is what a joiner signs with its key: the server's origin
// (as CanonicalOrigin writes it; a browser's location.origin), the room
// and the challenge, so a signature cannot be replayed elsewhere: not in
// another call, and not by a hostile server that relays a joiner's
// challenge from the real one (it would need the real server's origin
// signed, and the joiner signs the origin it dialled).
func JoinSignedText(origin, roomID, challenge string) []byte {
	return []byte("rooms/v2 join\n" + origin + "\n" + roomID + "\n" + challenge)
}

// Join asks to enter the call.
type Join struct {
	Name string `json:"name"`
	// PublicKey is the client's ed25519 public key, base64url. A ban holds
	// on it.
	PublicKey string `json:"public_key"`
	// Signature is ed25519 over JoinSignedText, base64url.
	Signature string `json:"signature"`
	// HostKey, when the joiner is the host, gives it the host's rights.
	HostKey string `json:"host_key,omitempty"`
	// Rejoin is the participant id of an earlier session of this client
	// (after a dropped connection). It is informative: the server knows a
	// returning client by its key, which keeps its participant id.
	Rejoin string `json:"rejoin,omitempty"`
	// Knock, when the room is locked and the joiner is new to it, asks
	// the host to let it in instead of being refused with room_locked:
	// the server answers knocking, then joined, or an error
	// (knock_declined, knock_timeout). In an unlocked room it is a plain
	// join.
	Knock bool `json:"knock,omitempty"`
}

// Joined says the joiner is in.
type Joined struct {
	You          Participant   `json:"you"`
	Room         Room          `json:"room"`
	Participants []Participant `json:"participants"`
	// ICEServers are the TURN servers this participant may relay its
	// media through, with its own short-lived credential; none when the
	// server runs no TURN (ice.go).
	ICEServers []ICEServer `json:"ice_servers,omitempty"`
}

// Participant is someone in the call.
type Participant struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Host     bool      `json:"host"`
	JoinedAt time.Time `json:"joined_at"`
	Muted    Muted     `json:"muted"`
	Tracks   []Track   `json:"tracks,omitempty"`
	// Speaking is true while they speak, so a newcomer knows without
	// waiting for the next change.
	Speaking bool `json:"speaking,omitempty"`
}

// Muted is a participant's own mute state. Only they can change it.
type Muted struct {
	Audio bool `json:"audio"`
	Video bool `json:"video"`
}

// TrackKind is what a track carries.
type TrackKind string

// Track kinds.
const (
	KindAudio  TrackKind = "audio"
	KindVideo  TrackKind = "video"
	KindScreen TrackKind = "screen"
)

// Track is a published track. On the subscriber's connection its stream
// id is the participant id and its track id is ID.
type Track struct {
	ID            string    `json:"id"`
	ParticipantID string    `json:"participant_id"`
	Kind          TrackKind `json:"kind"`
}

// ParticipantLeft says someone left, and why ("left", "removed",
// "disconnected").
type ParticipantLeft struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// PeerConnection names which of a participant's two connections an SDP
// or candidate is for: the one it publishes on (it offers) or the one it
// receives on (the server offers). Each side offers on one only, so
// renegotiation never collides.
type PeerConnection string

// The two connections.
const (
	PCPublish   PeerConnection = "publish"
	PCSubscribe PeerConnection = "subscribe"
)

// SDP carries an offer or answer.
type SDP struct {
	PC  PeerConnection `json:"pc"`
	SDP string         `json:"sdp"`
	// Tracks, on a publish offer, says the kind of every local track the
	// offer carries, by track id, so "screen" can be told from "video"; it
	// replaces the previous offer's (at most 16 are kept). Without it the
	// previous declaration stands.
	Tracks map[string]TrackKind `json:"tracks,omitempty"`
}

// Candidate carries a trickled ICE candidate; an empty Candidate ends
// the gathering.
type Candidate struct {
	PC            PeerConnection `json:"pc"`
	Candidate     string         `json:"candidate"`
	SDPMid        *string        `json:"sdp_mid,omitempty"`
	SDPMLineIndex *uint16        `json:"sdp_mline_index,omitempty"`
}

// Mute is a participant's own mute change; the server relays it with
// ParticipantID filled.
type Mute struct {
	ParticipantID string    `json:"participant_id,omitempty"`
	Kind          TrackKind `json:"kind"`
	Muted         bool      `json:"muted"`
}

// View lists the video and screen tracks (by id) a participant does not
// show now: tiles on another page, a minimised window. The server pauses
// them for this participant, and asks for a keyframe when one is shown
// again. Audio is never paused. Each View replaces the last; an empty
// list shows everything. New tracks start shown.
type View struct {
	Hidden []string `json:"hidden"`
	// Sizes says how large, in device pixels, the participant shows each
	// of the others' video and screen tracks (by id; at most
	// MaxViewTracks). A track published in several sizes (simulcast)
	// reaches it in the smallest that fills that size; a track not listed
	// comes in the largest.
	Sizes map[string]Size `json:"sizes,omitempty"`
}

// Layers names the layers (RIDs) of one of the recipient's own simulcast
// tracks that somebody receives now, smallest first; the publisher may
// stop encoding the others until a later Layers names them again. Track
// is the id the publisher gave its track (its msid), not the server's.
type Layers struct {
	Track  string   `json:"track"`
	Active []string `json:"active"`
}

// Bandwidth names the others' video tracks (server track ids) paused for
// the recipient because the server's estimate of its downlink does not
// carry them, after its audio and the tracks it shows larger: the list is
// whole each time (empty: none is paused). EstimateBps is that estimate
// in bits per second, 0 if the recipient sends no transport-wide
// congestion control feedback (then nothing is paused for bandwidth).
//
// A client reads at most MaxBandwidthPaused of them.
type Bandwidth struct {
	Paused      []string `json:"paused"`
	EstimateBps int64    `json:"estimate_bps"`
}

// MaxBandwidthPaused bounds the tracks a Bandwidth message names that a
// client reads: a call has at most 50 people, each with a camera and a
// screen.
const MaxBandwidthPaused = 100

// Size is a width and a height in pixels.
type Size struct {
	W int `json:"w"`
	H int `json:"h"`
}

// Chat is a text message; the server fills From, Name and At.
type Chat struct {
	From string    `json:"from,omitempty"`
	Name string    `json:"name,omitempty"`
	Text string    `json:"text"`
	At   time.Time `json:"at,omitzero"`
}

// Speaking says who started or stopped speaking; Active marks the active
// speaker: whoever most recently started speaking.
type Speaking struct {
	ParticipantID string `json:"participant_id"`
	Speaking      bool   `json:"speaking"`
	Active        bool   `json:"active"`
}

// HostAction is something only the host may do in the call. There is no
// action to mute someone else, by design.
type HostAction struct {
	Action        string `json:"action"` // remove, lock, unlock, hide, unhide, end, admit, deny
	ParticipantID string `json:"participant_id,omitempty"`
	// KnockID names the knock an admit or deny answers.
	KnockID string `json:"knock_id,omitempty"`
}

// Removed tells a participant the host removed it; it must not rejoin.
type Removed struct {
	Reason string `json:"reason"`
}

// Ending warns everyone that the room's time runs out soon.
type Ending struct {
	EndsAt time.Time `json:"ends_at"`
}

// Ended tells everyone the room has ended.
type Ended struct {
	Reason string `json:"reason"`
}

// SignalError reports a refused request or admission with a stable code.
// Fatal errors are followed by the server closing the connection.
type SignalError struct {
	Code    Code       `json:"code"`
	Message string     `json:"message"`
	OpensAt *time.Time `json:"opens_at,omitempty"`
	Fatal   bool       `json:"fatal,omitempty"`
	// Sharers, on screen_share_limit, are who is sharing now.
	Sharers []string `json:"sharers,omitempty"`
}

// Error makes a SignalError an error.
func (e *SignalError) Error() string { return e.Message }

// Encode builds a Message of type t from v.
func Encode(t MessageType, v any) (Message, error) {
	if v == nil {
		return Message{Type: t}, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Message{}, err
	}
	return Message{Type: t, Data: b}, nil
}

// Knocking: messages and bounds of knock to enter (a newcomer asking the
// host to let it into a locked room).
const (
	// MsgKnocking tells a knocker it waits for the host (data Knocking).
	MsgKnocking MessageType = "knocking"
	// MsgKnock tells the hosts in the call someone knocks (data Knock);
	// a host joining gets one for every knock still waiting.
	MsgKnock MessageType = "knock"
	// MsgKnockEnded tells the hosts a knock is no longer waiting (data
	// KnockEnded).
	MsgKnockEnded MessageType = "knock_ended"
)

// Bounds of knocking. The server enforces every one.
const (
	// MaxKnocksWaiting bounds the knocks waiting at once in one room.
	MaxKnocksWaiting = 20
	// KnockWait is how long a knock waits for an answer.
	KnockWait = 5 * time.Minute
	// KnocksPerMinute and KnockBurst bound knocks from one client address.
	KnocksPerMinute = 6
	KnockBurst      = 3
)

// Knock is someone waiting at a locked room's door.
type Knock struct {
	ID   string    `json:"id"`
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Knocking tells a knocker its knock waits for the host until ExpiresAt.
type Knocking struct {
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
	Message   string    `json:"message"`
}

// KnockEnded says a knock stopped waiting, and why: admitted, declined,
// left (the knocker went away), timeout, ended (the room ended).
type KnockEnded struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Why a knock stopped waiting.
const (
	KnockAdmitted  = "admitted"
	KnockDeclined  = "declined"
	KnockLeft      = "left"
	KnockTimedOut  = "timeout"
	KnockRoomEnded = "ended"
)

// KnockList is the body of GET /v1/rooms/{id}/knocks: who waits, oldest
// first.
type KnockList struct {
	Knocks []Knock `json:"knocks"`
}

// AnswerTimeout bounds how long a side waits for the answer to an offer
// it sent: past it the server counts the participant's media as failed
// (roomsd's default; sfu.Config.AnswerTimeout overrides it), the Go
// client drops the connection and reconnects.
const AnswerTimeout = 15 * time.Second

// CloseMediaFailed is the reason of the WebSocket close with which roomsd
// drops a participant whose media failed (its ICE gave up, or an offer
// went unanswered): the client reconnects with fresh PeerConnections, and
// says media could not connect.
const CloseMediaFailed = "your media connection failed; reconnect"
