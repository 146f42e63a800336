package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi-validator/schema_validation"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/server"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// call is one request of the real-answers test and what it must get.
type call struct {
	// op is the document's operation the request is for ("GET
	// /v1/rooms/{id}"); "" for a path or method the document does not
	// list (404, 405), whose problem is checked against its schema.
	op     string
	method string
	path   string
	body   string
	header map[string]string
	// key signs the request (Rooms-Auth) when set.
	key ed25519.PrivateKey
	// want is the status expected; any of them when several.
	want []int
}

// checker sends calls to real servers and validates each request and
// answer against the document, remembering which operations answered
// with success and which problem codes came back.
type checker struct {
	t      *testing.T
	s      *spec
	ok     map[string]bool
	codes  map[apitypes.Code]bool
	client *http.Client
}

// newChecker validates against the document roomsd at base serves.
func newChecker(t *testing.T, base string) *checker {
	t.Helper()
	resp, err := http.Get(base + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d, %v", resp.StatusCode, err)
	}
	return &checker{t: t, s: specOf(t, raw), ok: map[string]bool{}, codes: map[apitypes.Code]bool{}, client: &http.Client{}}
}

// do sends c to base and checks what comes back; it returns the body.
func (k *checker) do(base string, c call) []byte {
	t := k.t
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for h, v := range c.header {
		if h == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(h, v)
	}
	if c.key != nil {
		req.Header.Set(apitypes.HeaderAuth, apitypes.SignAuth(c.key, apitypes.AuthRequest{
			Origin: base, Method: c.method, Target: c.path, Body: []byte(c.body)}, time.Now()))
	}
	resp, err := k.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", c.method, c.path, err)
	}
	what := fmt.Sprintf("%s %s (%s)", c.method, c.path, c.op)
	if !slices.Contains(c.want, resp.StatusCode) {
		t.Errorf("%s: status %d, want %v: %s", what, resp.StatusCode, c.want, body)
	}
	k.check(what, c.op, req, resp, body, c.body)
	return body
}

// check validates one request and its answer against the document.
func (k *checker) check(what, op string, req *http.Request, resp *http.Response, body []byte, reqBody string) {
	t := k.t
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	if ct == "application/problem+json" {
		var p apitypes.Problem
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("%s: a problem that is not JSON: %s", what, body)
		}
		k.codes[p.Code] = true
	}
	if op == "" {
		// Not an operation of the document: its problem must still be
		// one of the document's problem answers.
		k.validateSchema(what, fmt.Sprintf("Problem%d", resp.StatusCode), body)
		if resp.StatusCode == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
			t.Errorf("%s: 405 without Allow", what)
		}
		return
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := k.s.v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range errs {
			t.Errorf("%s: answer %d %s does not match the document: %s (%s)\n%s", what, resp.StatusCode, ct, e.Message, e.Reason, clipBody(body))
			for _, f := range e.SchemaValidationErrors {
				t.Errorf("  at %s: %s", f.FieldPath, f.Reason)
			}
		}
	}
	if resp.StatusCode < 300 {
		// The request that succeeded must be one the document allows.
		req.Body = io.NopCloser(strings.NewReader(reqBody))
		if ok, errs := k.s.v.ValidateHttpRequest(req); !ok {
			for _, e := range errs {
				t.Errorf("%s: the request does not match the document: %s (%s)", what, e.Message, e.Reason)
			}
		}
		k.ok[op] = true
	}
}

// validateSchema validates body against a component schema by name.
func (k *checker) validateSchema(what, name string, body []byte) {
	k.t.Helper()
	sp := k.s.model.Components.Schemas.GetOrZero(name)
	if sp == nil {
		k.t.Errorf("%s: the document has no schema %s", what, name)
		return
	}
	if ok, errs := schema_validation.NewSchemaValidator().ValidateSchemaBytes(sp.Schema(), body); !ok {
		for _, e := range errs {
			k.t.Errorf("%s: %s does not match %s: %s (%s)", what, clipBody(body), name, e.Message, e.Reason)
			for _, f := range e.SchemaValidationErrors {
				k.t.Errorf("  at %s: %s", f.FieldPath, f.Reason)
			}
		}
	}
}

func clipBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// startRoomsd starts a whole roomsd in-process on loopback (a real API
// over a real SQLite store, with calls, the scheduler and the
// deliverer), with a create token, room webhooks allowed to point at
// loopback, a rate no test reaches, and at most two call connections
// per address.
func startRoomsd(t *testing.T) string {
	t.Helper()
	cfg := server.Defaults()
	cfg.Listen, cfg.DataDir, cfg.UDPPort = "127.0.0.1:0", t.TempDir(), 0
	cfg.CreateToken = "rct_openapi_test_token"
	cfg.WebhookAllowPrivate = true
	cfg.Rate = api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 6000, CreateBurst: 1000}
	cfg.Calls.PerAddress = 2
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.Start(ctx, cfg, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + srv.Addr().String()
}

// waitFor asks until ok, for at most 15 s: a state to reach, not a time
// to measure.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(15 * time.Second); !ok(); {
		if time.Now().After(end) {
			t.Fatalf("waited 15 s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func want(s ...int) []int { return s }

// TestOpenAPIMatchesRealAnswers: a real roomsd serves its OpenAPI
// document (the file, byte for byte) and answers every operation of it,
// with success and with its main problems, and every request and answer
// (status, content type, headers, body) validates against the served
// document with libopenapi-validator; every code of pkg/api's table that
// HTTP answers carry comes back at least once, and every operation
// answers with success at least once.
func TestOpenAPIMatchesRealAnswers(t *testing.T) {
	base := startRoomsd(t)
	k := newChecker(t, base)
	ctx := context.Background()
	tok := map[string]string{apitypes.HeaderCreateToken: "rct_openapi_test_token"}
	hk := func(key string) map[string]string { return map[string]string{apitypes.HeaderHostKey: key} }

	served := k.do(base, call{op: "GET /v1/openapi.json", method: "GET", path: "/v1/openapi.json", want: want(200)})
	if file := loadSpec(t).raw; !bytes.Equal(served, file) {
		t.Errorf("GET /v1/openapi.json serves another document than %s", openAPIFile)
	}
	for _, c := range []call{
		{op: "GET /healthz", method: "GET", path: "/healthz", want: want(200)},
		{op: "GET /readyz", method: "GET", path: "/readyz", want: want(200)},
		{op: "GET /metrics", method: "GET", path: "/metrics", want: want(200)},
		{op: "GET /v1/info", method: "GET", path: "/v1/info", want: want(200)},
		{op: "GET /v1/themes", method: "GET", path: "/v1/themes", want: want(200)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{}`, want: want(401)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{}`, header: map[string]string{apitypes.HeaderCreateToken: "rct_wrong"}, want: want(403)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{"theme":"nope"}`, header: tok, want: want(400)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{"starts_at":"2020-01-01T00:00:00Z"}`, header: tok, want: want(400)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{"max_screen_shares":600}`, header: tok, want: want(400)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{"name":"x"}`, header: map[string]string{apitypes.HeaderCreateToken: "rct_openapi_test_token", "Content-Type": "text/plain"}, want: want(415)},
		{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", body: `{"name":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`, header: tok, want: want(413)},
		{op: "GET /v1/rooms", method: "GET", path: "/v1/rooms?limit=0", want: want(400)},
		{op: "GET /v1/info", method: "GET", path: "/v1/info", header: map[string]string{"Host": "evil.example"}, want: want(421)},
		{op: "", method: "GET", path: "/v1/nothing-here", want: want(404)},
	} {
		k.do(base, c)
	}

	// A key with a handle, so an invitation reaches an inbox.
	_, ann, _ := ed25519.GenerateKey(nil)
	_, bo, _ := ed25519.GenerateKey(nil)
	for _, c := range []call{
		{op: "POST /v1/handles", method: "POST", path: "/v1/handles", body: `{"handle":"ann"}`, want: want(401)},
		{op: "POST /v1/handles", method: "POST", path: "/v1/handles", body: `{"handle":"Not A Handle"}`, key: ann, want: want(400)},
		{op: "POST /v1/handles", method: "POST", path: "/v1/handles", body: `{"handle":"ann"}`, key: ann, want: want(200)},
		{op: "POST /v1/handles", method: "POST", path: "/v1/handles", body: `{"handle":"ann"}`, key: bo, want: want(409)},
		{op: "GET /v1/me", method: "GET", path: "/v1/me", key: ann, want: want(200)},
		{op: "GET /v1/me", method: "GET", path: "/v1/me", want: want(401)},
		{op: "GET /v1/inbox", method: "GET", path: "/v1/inbox", key: bo, want: want(403)},
		{op: "GET /v1/inbox", method: "GET", path: "/v1/inbox?after=x", key: ann, want: want(400)},
	} {
		k.do(base, c)
	}

	// A booked room with invitees and two webhooks (to a closed port on
	// loopback, so their deliveries fail and wait for a retry).
	at := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	var booked apitypes.Room
	body := k.do(base, call{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", header: tok, want: want(201),
		body: `{"name":"Friday drinks","theme":"aperitivo","starts_at":"` + at + `","time_zone":"Europe/Rome","duration_seconds":7200,` +
			`"invite":["ann","dan","carol@example.com"],"webhooks":["http://127.0.0.1:9/a","http://127.0.0.1:9/b"],"remind_seconds":900}`})
	if err := json.Unmarshal(body, &booked); err != nil || booked.HostKey == "" || len(booked.WebhookSecrets) != 2 {
		t.Fatalf("the booked room: %s (%v)", body, err)
	}
	// An open room, with one webhook, for the call.
	var open apitypes.Room
	body = k.do(base, call{op: "POST /v1/rooms", method: "POST", path: "/v1/rooms", header: tok, want: want(201),
		body: `{"name":"Standup","visibility":"private","max_participants":null,"webhooks":["http://127.0.0.1:9/c"]}`})
	if err := json.Unmarshal(body, &open); err != nil || open.WebhookSecret == "" {
		t.Fatalf("the open room: %s (%v)", body, err)
	}
	rb, ro := "/v1/rooms/"+booked.ID, "/v1/rooms/"+open.ID
	for _, c := range []call{
		{op: "GET /v1/rooms", method: "GET", path: "/v1/rooms?limit=10", want: want(200)},
		{op: "POST /v1/rooms/mine", method: "POST", path: "/v1/rooms/mine", want: want(200),
			body: `{"rooms":[{"id":"` + booked.ID + `","host_key":"` + booked.HostKey + `"},{"id":"` + open.ID + `","host_key":"rhk_wrong"},{"id":"bad","host_key":""}]}`},
		{op: "POST /v1/rooms/mine", method: "POST", path: "/v1/rooms/mine", body: `{"rooms":[{"id":1}]}`, want: want(400)},
		{op: "GET /v1/rooms/{id}", method: "GET", path: rb, want: want(200)},
		{op: "GET /v1/rooms/{id}", method: "GET", path: rb, header: hk(booked.HostKey), want: want(200)},
		{op: "GET /v1/rooms/{id}", method: "GET", path: "/v1/rooms/nope", want: want(404)},
		{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: rb, body: `{"name":"x"}`, want: want(401)},
		{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: rb, body: `{"name":"x"}`, header: hk("rhk_wrong"), want: want(403)},
		{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: rb, body: `{}`, header: hk(booked.HostKey), want: want(400)},
		{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: rb, body: `{"name":"x"}`, header: map[string]string{apitypes.HeaderHostKey: booked.HostKey, "Origin": "https://evil.example"}, want: want(403)},
		{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: rb, body: `{"name":"Friday drinks, later","starts_at":"` + time.Now().Add(3*time.Hour).UTC().Format(time.RFC3339) + `"}`, header: hk(booked.HostKey), want: want(200)},
		{op: "", method: "DELETE", path: rb, want: want(405)},
		{op: "GET /v1/rooms/{id}/deliveries", method: "GET", path: rb + "/deliveries", want: want(403)},
		{op: "GET /v1/rooms/{id}/deliveries", method: "GET", path: "/v1/rooms/nope/deliveries", want: want(404)},
		{op: "POST /v1/rooms/{id}/redeliver", method: "POST", path: rb + "/redeliver", body: `{}`, header: hk(booked.HostKey), want: want(200)},
		{op: "POST /v1/rooms/{id}/redeliver", method: "POST", path: rb + "/redeliver", header: hk(booked.HostKey), want: want(200)},
		{op: "POST /v1/rooms/{id}/redeliver", method: "POST", path: rb + "/redeliver", body: `{"id":999999}`, header: hk(booked.HostKey), want: want(404)},
		{op: "POST /v1/rooms/{id}/redeliver", method: "POST", path: rb + "/redeliver", body: `{"id":-1}`, header: hk(booked.HostKey), want: want(400)},
		{op: "POST /v1/rooms/{id}/redeliver", method: "POST", path: rb + "/redeliver", body: `{}`, want: want(403)},
		{op: "GET /r/{id}", method: "GET", path: "/r/" + booked.ID, want: want(200)},
		{op: "GET /r/{id}", method: "GET", path: "/r/" + booked.ID + ".ics", want: want(200)},
		{op: "GET /r/{id}", method: "GET", path: "/r/nope", want: want(404)},
		{op: "GET /r/{id}", method: "GET", path: "/r/nope.ics", want: want(404)},
	} {
		k.do(base, c)
	}

	// The deliveries of the booked room: its webhooks' tries, its
	// invitees'; one of them redelivered by id (409 while it is being
	// attempted at that moment).
	var dl apitypes.DeliveryList
	waitFor(t, "the booked room's webhook deliveries to be tried", func() bool {
		b := k.do(base, call{op: "GET /v1/rooms/{id}/deliveries", method: "GET", path: rb + "/deliveries", header: hk(booked.HostKey), want: want(200)})
		if err := json.Unmarshal(b, &dl); err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(dl.Deliveries, func(d apitypes.Delivery) bool { return d.Channel == "webhook" && d.LastError != "" })
	})
	i := slices.IndexFunc(dl.Deliveries, func(d apitypes.Delivery) bool { return d.Channel == "webhook" })
	k.do(base, call{op: "POST /v1/rooms/{id}/redeliver", method: "POST", path: rb + "/redeliver",
		body: `{"id":` + strconv.FormatInt(dl.Deliveries[i].ID, 10) + `}`, header: hk(booked.HostKey), want: want(200, 409)})

	// ann's inbox gets the invitation; its stream sends it as an event
	// whose data is a Notification.
	waitFor(t, "the invitation in ann's inbox", func() bool {
		var nl apitypes.NotificationList
		b := k.do(base, call{op: "GET /v1/inbox", method: "GET", path: "/v1/inbox", key: ann, want: want(200)})
		if err := json.Unmarshal(b, &nl); err != nil {
			t.Fatal(err)
		}
		return len(nl.Notifications) > 0
	})
	k.do(base, call{op: "GET /v1/inbox", method: "GET", path: "/v1/inbox?after=0", key: ann, want: want(200)})
	k.stream(base, ann)
	k.do(base, call{op: "GET /v1/inbox/stream", method: "GET", path: "/v1/inbox/stream", key: bo, want: want(403)})

	// A call: the host in it, someone knocking on the locked room.
	k.do(base, call{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: ro, body: `{"locked":true}`, header: hk(open.HostKey), want: want(200)})
	c, err := client.New(base)
	if err != nil {
		t.Fatal(err)
	}
	_, hostKey, _ := ed25519.GenerateKey(nil)
	jctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	host, err := c.Join(jctx, open.ID, client.JoinOptions{Name: "Hana", Key: hostKey, HostKey: open.HostKey, MaxReconnects: 1})
	if err != nil {
		t.Fatalf("the host joins: %v", err)
	}
	defer host.Close()
	_, kimKey, _ := ed25519.GenerateKey(nil)
	type joined struct {
		call *client.Call
		err  error
	}
	kimJoined := make(chan joined, 1)
	go func() {
		call, err := c.Join(jctx, open.ID, client.JoinOptions{Name: "Kim", Key: kimKey, Knock: true, MaxReconnects: 1})
		kimJoined <- joined{call, err}
	}()
	var kl apitypes.KnockList
	waitFor(t, "kim's knock", func() bool {
		b := k.do(base, call{op: "GET /v1/rooms/{id}/knocks", method: "GET", path: ro + "/knocks", header: hk(open.HostKey), want: want(200)})
		if err := json.Unmarshal(b, &kl); err != nil {
			t.Fatal(err)
		}
		return len(kl.Knocks) == 1
	})
	// Two call connections from this address already: a third is refused
	// before the upgrade.
	k.do(base, call{op: "GET /r/{id}", method: "GET", path: "/r/" + open.ID, want: want(429), header: map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Protocol": "rooms.v1"}})
	for _, cl := range []call{
		{op: "GET /v1/rooms/{id}/knocks", method: "GET", path: ro + "/knocks", want: want(401)},
		{op: "GET /v1/rooms/{id}/knocks", method: "GET", path: ro + "/knocks", header: hk("rhk_wrong"), want: want(403)},
		{op: "POST /v1/rooms/{id}/knocks/{knock}/{answer}", method: "POST", path: ro + "/knocks/Kim/maybe", header: hk(open.HostKey), want: want(404)},
		{op: "POST /v1/rooms/{id}/knocks/{knock}/{answer}", method: "POST", path: ro + "/knocks/Nobody/admit", header: hk(open.HostKey), want: want(404)},
		{op: "POST /v1/rooms/{id}/knocks/{knock}/{answer}", method: "POST", path: ro + "/knocks/" + kl.Knocks[0].ID + "/admit", header: hk(open.HostKey), want: want(200)},
	} {
		k.do(base, cl)
	}
	kim := <-kimJoined
	if kim.err != nil {
		t.Fatalf("kim knocks and joins: %v", kim.err)
	}
	defer kim.call.Close()
	var pl apitypes.ParticipantList
	waitFor(t, "two people in the call", func() bool {
		b := k.do(base, call{op: "GET /v1/rooms/{id}/participants", method: "GET", path: ro + "/participants", want: want(200)})
		if err := json.Unmarshal(b, &pl); err != nil {
			t.Fatal(err)
		}
		return len(pl.Participants) == 2
	})
	for _, cl := range []call{
		{op: "GET /v1/rooms/{id}/participants", method: "GET", path: "/v1/rooms/nope/participants", want: want(404)},
		{op: "POST /v1/rooms/{id}/participants/{who}/remove", method: "POST", path: ro + "/participants/Nobody/remove", header: hk(open.HostKey), want: want(404)},
		{op: "POST /v1/rooms/{id}/participants/{who}/remove", method: "POST", path: ro + "/participants/Kim/remove", want: want(401)},
		{op: "POST /v1/rooms/{id}/participants/{who}/remove", method: "POST", path: ro + "/participants/Kim/remove", header: hk(open.HostKey), want: want(200)},
		{op: "GET /v1/rooms/{id}", method: "GET", path: ro, want: want(200)},
		{op: "POST /v1/rooms/{id}/end", method: "POST", path: ro + "/end", want: want(401)},
		{op: "POST /v1/rooms/{id}/end", method: "POST", path: ro + "/end", header: hk(open.HostKey), want: want(200)},
		{op: "POST /v1/rooms/{id}/end", method: "POST", path: ro + "/end", header: hk(open.HostKey), want: want(409)},
		{op: "POST /v1/rooms/{id}/end", method: "POST", path: rb + "/end", header: hk(booked.HostKey), want: want(200)},
		{op: "PATCH /v1/rooms/{id}", method: "PATCH", path: rb, body: `{"name":"too late"}`, header: hk(booked.HostKey), want: want(409)},
		{op: "DELETE /v1/me/handle", method: "DELETE", path: "/v1/me/handle", want: want(401)},
		{op: "DELETE /v1/me/handle", method: "DELETE", path: "/v1/me/handle", key: ann, want: want(200)},
	} {
		k.do(base, cl)
	}

	k.brokenStore()
	k.tightRate()

	for _, op := range k.s.operations() {
		if !k.ok[op] {
			t.Errorf("no call answered %s with success: add one", op)
		}
	}
	for _, info := range apitypes.Codes() {
		if info.Status != 0 && !k.codes[info.Code] {
			t.Errorf("no answer carried %s: add a call that gets it", info.Code)
		}
	}
}

// stream opens ann's inbox stream, checks the answer against the
// document and its first event's data against the Notification schema.
func (k *checker) stream(base string, key ed25519.PrivateKey) {
	t := k.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/inbox/stream", nil)
	req.Header.Set(apitypes.HeaderAuth, apitypes.SignAuth(key, apitypes.AuthRequest{Origin: base, Method: http.MethodGet, Target: "/v1/inbox/stream"}, time.Now()))
	resp, err := k.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the inbox stream: %d", resp.StatusCode)
	}
	// The answer's status, type and headers; its body is a stream, read
	// below event by event.
	head := *resp
	head.Body = http.NoBody
	k.check("GET /v1/inbox/stream", "GET /v1/inbox/stream", req, &head, nil, "")
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id, event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := []byte(strings.TrimPrefix(line, "data: "))
			k.validateSchema("an inbox stream event", "Notification", data)
			var n apitypes.Notification
			if err := json.Unmarshal(data, &n); err != nil || strconv.FormatInt(n.ID, 10) != id || n.Type != event {
				t.Errorf("event id %q, type %q, data %s: the id and type lines do not match the data", id, event, data)
			}
			return
		}
	}
	t.Fatalf("the inbox stream ended before an event: %v", sc.Err())
}

// brokenStore: an API whose store is closed answers 500 internal, and
// /readyz 503 unavailable.
func (k *checker) brokenStore() {
	t := k.t
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := newHTTPServer(t, api.New(api.Config{Store: st}))
	st.Close()
	k.do(base, call{op: "GET /readyz", method: "GET", path: "/readyz", want: want(503)})
	k.do(base, call{op: "GET /v1/rooms/{id}", method: "GET", path: "/v1/rooms/" + strings.Repeat("a", 26), want: want(500)})
	k.do(base, call{op: "GET /v1/inbox/stream", method: "GET", path: "/v1/inbox/stream", want: want(401)})
}

// tightRate: past its burst, an address gets 429 rate_limited with
// Retry-After.
func (k *checker) tightRate() {
	t := k.t
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	base := newHTTPServer(t, api.New(api.Config{Store: st, Rate: api.Rate{PerSecond: 0.001, Burst: 1, CreatesPerMinute: 1, CreateBurst: 1}}))
	k.do(base, call{op: "GET /v1/themes", method: "GET", path: "/v1/themes", want: want(200)})
	k.do(base, call{op: "GET /v1/themes", method: "GET", path: "/v1/themes", want: want(429)})
}

// operations lists the document's operations as "METHOD /path".
func (s *spec) operations() []string {
	var ops []string
	for path, item := range s.obj("paths") {
		for m := range item.(map[string]any) {
			switch m {
			case "get", "put", "post", "delete", "patch":
				ops = append(ops, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}
