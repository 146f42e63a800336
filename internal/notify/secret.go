package notify

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
)

// SecretPrefix marks signing secrets, as the Standard Webhooks libraries
// expect: "whsec_" then the key in base64. The HMAC key is the decoded
// bytes, so receivers can verify with any of those libraries.
const SecretPrefix = "whsec_"

// NewSecret makes a signing secret: the text to give the receiver and
// the key bytes to sign with.
func NewSecret() (text string, key []byte) {
	key = make([]byte, 24)
	_, _ = rand.Read(key)
	return SecretPrefix + base64.StdEncoding.EncodeToString(key), key
}

// ParseSecret turns a "whsec_..." secret into its key bytes.
func ParseSecret(text string) ([]byte, error) {
	b64, ok := strings.CutPrefix(strings.TrimSpace(text), SecretPrefix)
	if !ok {
		return nil, errors.New(`a webhook secret starts with "whsec_" followed by base64`)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < 16 {
		return nil, errors.New(`a webhook secret is "whsec_" followed by at least 16 bytes in base64`)
	}
	return key, nil
}
