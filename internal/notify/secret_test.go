package notify

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSecretsWorkWithStandardWebhooksLibraries(t *testing.T) {
	text, key := NewSecret()
	got, err := ParseSecret(text)
	if err != nil || string(got) != string(key) {
		t.Fatalf("ParseSecret(NewSecret()) = %x, %v; want %x", got, err, key)
	}
	// The reference secret of the Standard Webhooks spec parses to the key
	// its reference signature was made with.
	ref, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	if err := Verify(ref, h, body, ts); err != nil {
		t.Fatalf("the reference delivery does not verify with the parsed secret: %v", err)
	}
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_***", "whsec_c2hvcnQ="} {
		if _, err := ParseSecret(bad); err == nil {
			t.Errorf("ParseSecret(%q) accepted", bad)
		}
	}
}

// TestSecretLength: a new secret needs the spec's 24 bytes, and the error
// says how to make one; a 16-byte one kept by an earlier roomsd still
// parses with ParseKeptSecret.
func TestSecretLength(t *testing.T) {
	short := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef")) // 16 bytes
	_, err := ParseSecret(short)
	if err == nil || !strings.Contains(err.Error(), "at least 24") || !strings.Contains(err.Error(), "has 16") || !strings.Contains(err.Error(), "/dev/urandom") {
		t.Fatalf("ParseSecret(16 bytes) = %v, want a refusal that says the rule and how to make one", err)
	}
	if key, err := ParseKeptSecret(short); err != nil || len(key) != 16 {
		t.Fatalf("ParseKeptSecret(16 bytes) = %d bytes, %v; a kept secret must keep working", len(key), err)
	}
	if _, err := ParseKeptSecret("whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789"))); err == nil {
		t.Fatal("ParseKeptSecret accepted 10 bytes")
	}
	if text, key := NewSecret(); len(key) < MinSecretBytes || !strings.HasPrefix(text, SecretPrefix) {
		t.Fatalf("NewSecret made %d bytes", len(key))
	}
}
