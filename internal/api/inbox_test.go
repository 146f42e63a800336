package api_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/notify"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestInboxStreamResumes: a stream reopened with Last-Event-ID gets what
// came after it, nothing before, nothing twice; and a handle's inbox is
// its own.
func TestInboxStreamResumes(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	broker := notify.NewBroker()
	srvHandler := api.New(api.Config{Store: st, Broker: broker})
	srv := newHTTPServer(t, srvHandler)

	_, key, _ := ed25519.GenerateKey(nil)
	c, _ := client.New(srv, client.WithKey(key))
	if err := c.Login(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	// Three notifications delivered to ann.
	for _, ev := range []string{"e1", "e2", "e3"} {
		if _, err := st.Enqueue(ctx, []store.OutboxItem{{EventID: ev, RoomID: "r", Channel: "inbox", Recipient: "ann", Type: "room_open",
			Payload: []byte(`{"type":"room_open","link":"` + ev + `"}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	items, _ := st.Claim(ctx, "t", time.Now(), time.Minute, 10)
	for _, it := range items {
		if err := st.Delivered(ctx, it.ID, "t", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	all, err := c.Inbox(ctx, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("inbox = %v, %v", all, err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv+"/v1/inbox/stream", nil)
	req.Header.Set(apitypes.HeaderAuth, apitypes.SignAuth(key, apitypes.AuthRequest{Origin: srv, Method: http.MethodGet, Target: "/v1/inbox/stream"}, time.Now()))
	req.Header.Set("Last-Event-ID", itoa(all[0].ID))
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(sctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var ids []string
	for sc.Scan() && len(ids) < 2 {
		if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
			ids = append(ids, id)
		}
	}
	if len(ids) != 2 || ids[0] != itoa(all[1].ID) || ids[1] != itoa(all[2].ID) {
		t.Fatalf("resumed stream gave ids %v, want %d and %d", ids, all[1].ID, all[2].ID)
	}

	// Another key cannot read ann's inbox: it has no handle.
	_, other, _ := ed25519.GenerateKey(nil)
	c2, _ := client.New(srv, client.WithKey(other))
	if _, err := c2.Inbox(ctx, 0); err == nil {
		t.Fatal("a key without a handle read an inbox")
	}
	// A forged signature is refused.
	bad, _ := http.NewRequest(http.MethodGet, srv+"/v1/inbox", nil)
	h := apitypes.SignAuth(key, apitypes.AuthRequest{Origin: srv, Method: http.MethodGet, Target: "/v1/inbox"}, time.Now())
	parts := strings.Fields(h)
	parts[4] = base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	bad.Header.Set(apitypes.HeaderAuth, strings.Join(parts, " "))
	resp2, err := http.DefaultClient.Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a forged signature: %d", resp2.StatusCode)
	}
}

// TestInboxStreamEndsWithItsSignature: a stream lasts no longer than the
// signature that opened it would pass, so a key that lost its handle
// since cannot keep reading. The server's clock is set 4m59s ahead: the
// signature passes, and the stream must end about a second later.
func TestInboxStreamEndsWithItsSignature(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ahead := apitypes.AuthWindow - time.Second
	srv := newHTTPServer(t, api.New(api.Config{Store: st, Broker: notify.NewBroker(), Now: func() time.Time { return time.Now().Add(ahead) }}))
	_, key, _ := ed25519.GenerateKey(nil)
	c, _ := client.New(srv, client.WithKey(key))
	if err := c.Login(ctx, "ann"); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, srv+"/v1/inbox/stream", nil)
	req.Header.Set(apitypes.HeaderAuth, apitypes.SignAuth(key, apitypes.AuthRequest{Origin: srv, Method: http.MethodGet, Target: "/v1/inbox/stream"}, time.Now()))
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(sctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
	}
	if sctx.Err() != nil {
		t.Fatal("the stream outlived its signature")
	}
}
