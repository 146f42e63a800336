package notify

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretPrefix marks signing secrets, as the Standard Webhooks libraries
// expect: "whsec_" then the key in base64. The HMAC key is the decoded
// bytes, so receivers can verify with any of those libraries.
const SecretPrefix = "whsec_"

// MinSecretBytes is the shortest signing key roomsd takes from an
// operator: the Standard Webhooks spec asks for at least 24 bytes.
const MinSecretBytes = 24

// minKeptSecretBytes is the shortest key roomsd accepted before it
// followed that rule; a secret of this length kept in the data directory
// still works (ParseKeptSecret), so receivers need not change it.
const minKeptSecretBytes = 16

// NewSecret makes a signing secret: the text to give the receiver and
// the key bytes to sign with.
func NewSecret() (text string, key []byte) {
	key = make([]byte, MinSecretBytes)
	_, _ = rand.Read(key)
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), key
}

// ParseSecret turns a new "whsec_..." secret (a flag, a variable) into its
// key bytes, refusing keys shorter than MinSecretBytes.
func ParseSecret(text string) ([]byte, error) {
	return parseSecret(text, MinSecretBytes)
}

// ParseKeptSecret is ParseSecret for a secret roomsd kept from an earlier
// version, which accepted keys from 16 bytes: those keep working.
func ParseKeptSecret(text string) ([]byte, error) {
	return parseSecret(text, minKeptSecretBytes)
}

func parseSecret(text string, least int) ([]byte, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(text), SecretPrefix)
	if !ok {
		return nil, errors.New(`a webhook secret starts with "whsec_" followed by base64`)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New(`a webhook secret is "whsec_" followed by base64; this one's base64 does not decode`)
	}
	if len(key) < least {
		return nil, fmt.Errorf(`a webhook secret needs at least %d random bytes after "whsec_" (Standard Webhooks); this one has %d: make one with: echo whsec_$(head -c 32 /dev/urandom | base64)`, least, len(key))
	}
	return key, nil
}
