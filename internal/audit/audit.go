// Package audit writes the trail of host actions: one Info line per action
// with the stable message "audit", saying what was done, to which room,
// by whom (a short fingerprint, never a key) and from which address.
package audit

import (
	"context"
	"encoding/hex"
	"log/slog"

	"github.com/rooms-dev/rooms/internal/room"
)

// Message is the message of every audit line; grep for it.
const Message = "audit"

// Where a host action came from.
const (
	ViaAPI  = "api"  // the REST API, with the host key
	ViaCall = "call" // the signalling of a live call, by the host in it
)

// Create is the action of making a room (the others are room.Action's).
const Create = "create"

// Entry is one host action.
type Entry struct {
	// Action is what was done: create, lock, unlock, hide, unhide, edit,
	// end, remove (room.Action names).
	Action string
	// Room is the room's id; the line carries room.LogID of it, as every
	// other log line does.
	Room string
	// Actor is who did it: HostActor or KeyActor.
	Actor string
	// Target is whom it was done to (a participant id), when anyone.
	Target string
	// Addr is the client address the action came from.
	Addr string
	// Via is ViaAPI or ViaCall.
	Via string
}

// Log writes e at Info level with the message "audit".
func Log(ctx context.Context, log *slog.Logger, e Entry) {
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs,
		slog.String("action", e.Action),
		slog.String("room", room.LogID(e.Room)),
		slog.String("actor", e.Actor),
	)
	if e.Target != "" {
		attrs = append(attrs, slog.String("target", e.Target))
	}
	attrs = append(attrs, slog.String("addr", e.Addr), slog.String("via", e.Via))
	log.LogAttrs(ctx, slog.LevelInfo, Message, attrs...)
}

// fingerprintBytes is how much of a key hash names an actor: 48 bits,
// enough to tell a room's hosts and a call's participants apart.
const fingerprintBytes = 6

// keyChars is how much of a public key names a participant.
const keyChars = 12

// HostActor names whoever holds a room's host key by the first bytes of
// the key's SHA-256 as the store keeps it (rooms.host_key_hash), in hex:
// "host:" and 12 hex digits. The key itself is never logged.
func HostActor(hostKeyHash []byte) string {
	h := hostKeyHash
	if len(h) > fingerprintBytes {
		h = h[:fingerprintBytes]
	}
	return "host:" + hex.EncodeToString(h)
}

// KeyActor names a participant by its client public key (public, as bans
// keep it): "key:" and its first 12 characters.
func KeyActor(publicKey string) string {
	if len(publicKey) > keyChars {
		publicKey = publicKey[:keyChars]
	}
	return "key:" + publicKey
}
