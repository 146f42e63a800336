package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/pkg/api"
)

// received is one webhook delivery a receiver got, with whether the
// secret it expects verified it.
type received struct {
	verified bool
}

func receiver(t *testing.T, secret []byte) (*httptest.Server, chan received) {
	got := make(chan received, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{verified: notify.Verify(secret, r.Header, body, time.Now()) == nil}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// TestReloadSwapsTheServerWebhooksAndTheirSecret: after a reload that
// replaces the server's webhook and its secret, a new room's event goes to
// the new URL, signed with the new secret, and not to the old URL (an
// invitation is what tells the server's webhooks of a new room).
func TestReloadSwapsTheServerWebhooksAndTheirSecret(t *testing.T) {
	oldText, oldKey := notify.NewSecret()
	newText, newKey := notify.NewSecret()
	oldHook, oldGot := receiver(t, oldKey)
	newHook, newGot := receiver(t, newKey)

	cfg := testConfig(t)
	cfg.WebhookAllowPrivate = true
	cfg.Webhooks, cfg.WebhookSecret = []string{oldHook.URL}, oldText
	srv := startServer(t, cfg)
	c := clientFor(t, srv)
	if _, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{Invite: []string{"ann@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if got := <-oldGot; !got.verified {
		t.Fatal("before the reload, the old secret does not verify the old webhook's delivery")
	}

	next := cfg
	next.Webhooks, next.WebhookSecret = []string{newHook.URL}, newText
	if err := srv.Reload(next); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{Invite: []string{"ann@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if got := <-newGot; !got.verified {
		t.Error("after the reload, the new secret does not verify the new webhook's delivery")
	}
	select {
	case <-oldGot:
		t.Error("the old webhook was told about a room made after the reload")
	default:
	}
}
