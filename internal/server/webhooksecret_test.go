package server

import (
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerWebhookSecretLength: a --webhook-secret shorter than the
// Standard Webhooks' 24 bytes is refused at start with a message saying
// so; the same 16-byte secret kept in the data directory by an earlier
// roomsd keeps signing, so its receivers need no change.
func TestServerWebhookSecretLength(t *testing.T) {
	short := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Webhooks: []string{"https://hooks.example.com/in"}, WebhookSecret: short}
	if _, err := serverWebhooks(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "--webhook-secret") || !strings.Contains(err.Error(), "at least 24") {
		t.Fatalf("a 16-byte --webhook-secret: %v, want a refusal naming the flag and the rule", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "webhook-secret"), []byte(short+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.WebhookSecret = ""
	hooks, err := serverWebhooks(cfg, io.Discard)
	if err != nil || len(hooks) != 1 || string(hooks[0].Secret) != "0123456789abcdef" {
		t.Fatalf("a kept 16-byte secret: %v, %v; want it to keep signing", hooks, err)
	}
}
