package room

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
)

// HostKeyPrefix marks host keys so secret scanners and people recognise them.
const HostKeyPrefix = "rhk_"

var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux since Go 1.24
	return strings.ToLower(enc.EncodeToString(b))
}

// NewID returns a room id: 128 random bits as 26 lower-case base32
// characters, which is the capability to join.
func NewID() string { return random(16) }

// NewHostKey returns a host key (256 random bits) and the hash to store.
func NewHostKey() (key string, hash []byte) {
	key = HostKeyPrefix + random(32)
	return key, HashHostKey(key)
}

// HashHostKey hashes a host key for storage. Keys are random, so one round
// of SHA-256 is enough; a slow hash would only cost CPU.
func HashHostKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// IsHost says whether key is r's host key, in constant time.
func (r Room) IsHost(key string) bool {
	if key == "" || len(r.HostKeyHash) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(HashHostKey(key), r.HostKeyHash) == 1
}

// ValidID says whether s has the shape of a room id, so malformed links are
// refused before any lookup.
func ValidID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// LogID is how logs name a room: a prefix long enough to tell rooms apart
// when reading a log, too short to join with, since the id is the link.
func LogID(id string) string {
	if len(id) <= 6 {
		return id
	}
	return id[:6] + "…"
}
