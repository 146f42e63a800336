package server

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// logBuffer keeps what a JSON slog handler writes, one record per line.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records are the log lines as maps.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// audits are the audit lines, as "via action actor target addr".
func (b *logBuffer) audits(t *testing.T) []string {
	var out []string
	for _, m := range b.records(t) {
		if m["msg"] == "audit" && m["level"] == "INFO" {
			out = append(out, strings.Join([]string{str(m["via"]), str(m["action"]), str(m["actor"]), str(m["target"]), str(m["addr"])}, " "))
		}
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

// waitAudits waits until n audit lines are written (a call's host action
// is audited on the server's side of the WebSocket, after its effects).
func (b *logBuffer) waitAudits(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := b.audits(t)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHostActionsLeaveAnAuditTrail: every host action, over the API and in
// a call, writes one audit line naming the action, who (a fingerprint) and
// from where; request lines name the address too; no host key is ever
// logged.
// audited is a whole roomsd logging JSON to logs, a room on it, and the
// fingerprints its audit lines name the room's host by: over the API (its
// host key) and in the call (hostKey, the host's client key).
type audited struct {
	c         *client.Client
	logs      *logBuffer
	room      api.Room
	apiActor  string
	hostKey   ed25519.PrivateKey
	callActor string
}

func newAudited(t *testing.T, name string) audited {
	t.Helper()
	logs := &logBuffer{}
	cfg := Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	c, stop := testServerConfig(t, cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(stop)
	r, err := c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	hash := room.HashHostKey(r.HostKey)
	hostKey := newKey(t)
	return audited{c: c, logs: logs, room: r, apiActor: "host:" + hex.EncodeToString(hash[:6]), hostKey: hostKey,
		callActor: "key:" + base64.RawURLEncoding.EncodeToString(hostKey.Public().(ed25519.PublicKey))[:12]}
}

func TestHostActionsLeaveAnAuditTrail(t *testing.T) {
	a := newAudited(t, "audited")
	c, logs, r, apiActor, hostKey, callActor := a.c, a.logs, a.room, a.apiActor, a.hostKey, a.callActor
	ctx := context.Background()

	host, err := join(t, c, r.ID, "host", r.HostKey, hostKey)
	if err != nil {
		t.Fatal(err)
	}
	ann, err := join(t, c, r.ID, "ann", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	bo, err := join(t, c, r.ID, "bo", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"api create " + apiActor + "  127.0.0.1"}

	yes, no, priv, pub, name := true, false, "private", "public", "renamed"
	for _, step := range []struct {
		act string
		req api.UpdateRoomRequest
	}{
		{"lock", api.UpdateRoomRequest{Locked: &yes}},
		{"unlock", api.UpdateRoomRequest{Locked: &no}},
		{"hide", api.UpdateRoomRequest{Visibility: &priv}},
		{"unhide", api.UpdateRoomRequest{Visibility: &pub}},
		{"edit", api.UpdateRoomRequest{Name: &name}},
	} {
		if _, err := c.UpdateRoom(ctx, r.ID, r.HostKey, step.req); err != nil {
			t.Fatalf("%s: %v", step.act, err)
		}
		want = append(want, "api "+step.act+" "+apiActor+"  127.0.0.1")
	}
	for _, act := range []string{"lock", "unlock", "hide", "unhide"} {
		if err := host.call.Host(act, ""); err != nil {
			t.Fatalf("%s in the call: %v", act, err)
		}
		want = append(want, "call "+act+" "+callActor+"  127.0.0.1")
		logs.waitAudits(t, len(want))
	}
	boID, annID := bo.call.Me().ID, ann.call.Me().ID
	if _, err := c.RemoveParticipant(ctx, r.ID, r.HostKey, boID); err != nil {
		t.Fatal(err)
	}
	want = append(want, "api remove "+apiActor+" "+boID+" 127.0.0.1")
	if err := host.call.Host("remove", annID); err != nil {
		t.Fatal(err)
	}
	want = append(want, "call remove "+callActor+" "+annID+" 127.0.0.1")
	logs.waitAudits(t, len(want))
	if err := host.call.Host("end", ""); err != nil {
		t.Fatal(err)
	}
	want = append(want, "call end "+callActor+"  127.0.0.1")
	logs.waitAudits(t, len(want))

	r2, err := c.CreateRoom(ctx, api.CreateRoomRequest{Name: "ended over the API"})
	if err != nil {
		t.Fatal(err)
	}
	hash2 := room.HashHostKey(r2.HostKey)
	actor2 := "host:" + hex.EncodeToString(hash2[:6])
	if _, err := c.EndRoom(ctx, r2.ID, r2.HostKey); err != nil {
		t.Fatal(err)
	}
	want = append(want, "api create "+actor2+"  127.0.0.1", "api end "+actor2+"  127.0.0.1")

	got := logs.waitAudits(t, len(want))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	requests := 0
	for _, m := range logs.records(t) {
		if m["msg"] == "request" {
			requests++
			if m["addr"] != "127.0.0.1" {
				t.Errorf("request line without the client address: %v", m)
			}
		}
	}
	if requests == 0 {
		t.Error("no request lines logged")
	}
	all := logs.String()
	for _, key := range []string{r.HostKey, r2.HostKey} {
		secret := strings.TrimPrefix(key, room.HostKeyPrefix)
		if strings.Contains(all, secret) {
			t.Errorf("a host key is in the log")
		}
	}
}

// TestKnockAnswersAreAudited: admitting or declining a knock is a host
// action like any other, over the API and in the call.
func TestKnockAnswersAreAudited(t *testing.T) {
	a := newAudited(t, "knocked")
	c, logs, r, apiActor, hostKey, callActor := a.c, a.logs, a.room, a.apiActor, a.hostKey, a.callActor
	ctx := context.Background()
	host, err := join(t, c, r.ID, "host", r.HostKey, hostKey)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := c.UpdateRoom(ctx, r.ID, r.HostKey, api.UpdateRoomRequest{Locked: &yes}); err != nil {
		t.Fatal(err)
	}
	want := append(logs.waitAudits(t, 2), "")[:2] // create, lock

	// knock starts a knocker and waits until the host can see it.
	knock := func(name string) (string, chan error) {
		done := make(chan error, 1)
		go func() {
			_, err := joinWith(t, c, r.ID, name, client.JoinOptions{Knock: true})
			done <- err
		}()
		for range 200 {
			ks, err := c.Knocks(ctx, r.ID, r.HostKey)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range ks {
				if k.Name == name {
					return k.ID, done
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%s never showed as knocking", name)
		return "", nil
	}
	annKnock, annDone := knock("ann")
	if _, err := c.AnswerKnock(ctx, r.ID, r.HostKey, annKnock, true); err != nil {
		t.Fatal(err)
	}
	if err := <-annDone; err != nil {
		t.Fatalf("ann admitted: %v", err)
	}
	want = append(want, "api admit "+apiActor+" "+annKnock+" 127.0.0.1")
	boKnock, boDone := knock("bo")
	if err := host.call.Deny(boKnock); err != nil {
		t.Fatal(err)
	}
	if err := <-boDone; err == nil {
		t.Fatal("bo was let in after a decline")
	}
	want = append(want, "call deny "+callActor+" "+boKnock+" 127.0.0.1")
	got := logs.waitAudits(t, len(want))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("audit lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
