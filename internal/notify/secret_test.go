package notify

import (
	"net/http"
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
