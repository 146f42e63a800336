package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	srv   *httptest.Server
	c     *client.Client
	clock *clock
}

func newEnv(t *testing.T, mod func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC)}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: st, Now: clk.Now, MaxParticipants: 50, PublicURL: "http://rooms.test",
		Rate: api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 6000, CreateBurst: 1000}}
	if mod != nil {
		mod(&cfg)
	}
	srv := httptest.NewServer(api.New(cfg))
	t.Cleanup(func() { srv.Close(); st.Close() })
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, c: c, clock: clk}
}

func problemOf(t *testing.T, err error) *apitypes.Problem {
	t.Helper()
	var p *apitypes.Problem
	if !errors.As(err, &p) {
		t.Fatalf("want a problem, got %v", err)
	}
	return p
}

func TestCreateLockInfoEnd(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	at := e.clock.Now().Add(90 * time.Minute)
	r, err := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{Theme: "aperitivo", StartsAt: &at, TimeZone: "Europe/Rome"})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != "scheduled" || r.Theme != "aperitivo" || r.Visibility != "public" || r.MaxParticipants != 50 ||
		!strings.HasPrefix(r.HostKey, "rhk_") || r.Link != "http://rooms.test/r/"+r.ID || !r.StartsAt.Equal(at) {
		t.Fatalf("created room: %+v", r)
	}
	locked := true
	if _, err := e.c.UpdateRoom(ctx, r.ID, r.HostKey, apitypes.UpdateRoomRequest{Locked: &locked}); err != nil {
		t.Fatal(err)
	}
	got, err := e.c.GetRoom(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Locked || got.HostKey != "" {
		t.Fatalf("after lock: locked=%v host_key=%q", got.Locked, got.HostKey)
	}
	e.clock.Add(2 * time.Hour)
	if got, _ = e.c.GetRoom(ctx, r.ID); got.State != "open" {
		t.Fatalf("after its time the room is %s, want open", got.State)
	}
	ended, err := e.c.EndRoom(ctx, r.ID, r.HostKey)
	if err != nil || ended.State != "ended" || ended.EndedAt == nil {
		t.Fatalf("end: %+v, %v", ended, err)
	}
	_, err = e.c.EndRoom(ctx, r.ID, r.HostKey)
	if p := problemOf(t, err); p.Code != apitypes.CodeRoomEnded || p.Status != http.StatusConflict {
		t.Fatalf("ending twice: %+v", p)
	}
}

func TestDirectoryListsOnlyPublicLiveRooms(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	pub, _ := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{Name: "pub"})
	priv, _ := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{Name: "priv", Visibility: "private"})
	gone, _ := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{Name: "gone"})
	hidden, _ := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{Name: "hidden"})
	if _, err := e.c.EndRoom(ctx, gone.ID, gone.HostKey); err != nil {
		t.Fatal(err)
	}
	vis := "private"
	if _, err := e.c.UpdateRoom(ctx, hidden.ID, hidden.HostKey, apitypes.UpdateRoomRequest{Visibility: &vis}); err != nil {
		t.Fatal(err)
	}
	list, err := e.c.ListRooms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != pub.ID {
		t.Fatalf("directory = %+v, want only %q", list, pub.ID)
	}
	mine, err := e.c.MyRooms(ctx, []apitypes.HostKeyRef{
		{ID: priv.ID, HostKey: priv.HostKey}, {ID: gone.ID, HostKey: gone.HostKey}, {ID: pub.ID, HostKey: priv.HostKey},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 {
		t.Fatalf("mine = %d rooms, want the 2 whose keys match", len(mine))
	}
}

// TestPrivateRoomsLookLikeMissingOnes checks an outsider learns nothing
// from a guessed id or from the directory.
func TestPrivateRoomsLookLikeMissingOnes(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	priv, _ := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{Visibility: "private"})
	missing := "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	wrong := priv.ID[:25] + "a"
	if wrong == priv.ID {
		wrong = priv.ID[:25] + "b"
	}
	var bodies []string
	for _, id := range []string{missing, wrong, "not-an-id"} {
		resp, err := http.Get(e.srv.URL + "/v1/rooms/" + id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("GET %s = %d", id, resp.StatusCode)
		}
		bodies = append(bodies, string(b))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("answers differ:\n%s\n%s", bodies[0], b)
		}
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	r, err := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ended, _ := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{})
	if _, err := e.c.EndRoom(ctx, ended.ID, ended.HostKey); err != nil {
		t.Fatal(err)
	}
	otherKey := ended.HostKey
	big := `{"name":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`

	tests := []struct {
		name       string
		method     string
		path       string
		hostKey    string
		body       string
		wantStatus int
		wantCode   apitypes.Code
	}{
		{"an unknown theme lists the themes", "POST", "/v1/rooms", "", `{"theme":"disco"}`, 400, apitypes.CodeUnknownTheme},
		{"a start in the past is a bad time", "POST", "/v1/rooms", "", `{"starts_at":"2020-01-01T00:00:00Z"}`, 400, apitypes.CodeBadTime},
		{"a start two years ahead is a bad time", "POST", "/v1/rooms", "", `{"starts_at":"2028-12-01T00:00:00Z"}`, 400, apitypes.CodeBadTime},
		{"a capacity above the cap is refused", "POST", "/v1/rooms", "", `{"max_participants":51}`, 400, apitypes.CodeInvalidArgument},
		{"a negative capacity is refused", "POST", "/v1/rooms", "", `{"max_participants":-3}`, 400, apitypes.CodeInvalidArgument},
		{"an unknown zone is refused", "POST", "/v1/rooms", "", `{"time_zone":"Mars/Base"}`, 400, apitypes.CodeInvalidArgument},
		{"an unknown visibility is refused", "POST", "/v1/rooms", "", `{"visibility":"secret"}`, 400, apitypes.CodeInvalidArgument},
		{"malformed JSON is refused", "POST", "/v1/rooms", "", `{"name":`, 400, apitypes.CodeInvalidArgument},
		{"an unknown field is refused", "POST", "/v1/rooms", "", `{"nmae":"typo"}`, 400, apitypes.CodeInvalidArgument},
		{"two JSON values are refused", "POST", "/v1/rooms", "", `{} {}`, 400, apitypes.CodeInvalidArgument},
		{"a name with the 8-bit CSI and a right-to-left override is refused", "POST", "/v1/rooms", "", `{"name":"a\u009b31m\u202eb"}`, 400, apitypes.CodeInvalidArgument},
		{"a rename to an escape sequence is refused", "PATCH", "/v1/rooms/" + r.ID, r.HostKey, `{"name":"\u001b]52;c;eA==\u0007"}`, 400, apitypes.CodeInvalidArgument},
		{"an oversized body is refused", "POST", "/v1/rooms", "", big, 413, apitypes.CodeTooLarge},
		{"a host action without a key is unauthorized", "PATCH", "/v1/rooms/" + r.ID, "", `{"locked":true}`, 401, apitypes.CodeUnauthorized},
		{"a host action with a wrong key is forbidden", "PATCH", "/v1/rooms/" + r.ID, otherKey, `{"locked":true}`, 403, apitypes.CodeForbidden},
		{"ending with a wrong key is forbidden", "POST", "/v1/rooms/" + r.ID + "/end", otherKey, ``, 403, apitypes.CodeForbidden},
		{"an empty change is refused", "PATCH", "/v1/rooms/" + r.ID, r.HostKey, `{}`, 400, apitypes.CodeInvalidArgument},
		{"an open room cannot be rescheduled", "PATCH", "/v1/rooms/" + r.ID, r.HostKey, `{"starts_at":"2026-12-01T00:00:00Z"}`, 400, apitypes.CodeBadTime},
		{"an ended room cannot be locked", "PATCH", "/v1/rooms/" + ended.ID, ended.HostKey, `{"locked":true}`, 409, apitypes.CodeRoomEnded},
		{"a missing room is not found", "PATCH", "/v1/rooms/aaaaaaaaaaaaaaaaaaaaaaaaaa", otherKey, `{"locked":true}`, 404, apitypes.CodeRoomNotFound},
		{"a malformed id is not found", "GET", "/v1/rooms/..%2f..%2fetc", "", ``, 404, apitypes.CodeRoomNotFound},
		{"there is no mute endpoint", "POST", "/v1/rooms/" + r.ID + "/mute", r.HostKey, `{}`, 404, apitypes.CodeNotFound},
		{"an unknown path is not found", "GET", "/v2/rooms", "", ``, 404, apitypes.CodeNotFound},
		{"a wrong method is not allowed", "PUT", "/v1/rooms", "", `{}`, 405, apitypes.CodeMethodNotAllow},
		{"DELETE on a room is not allowed", "DELETE", "/v1/rooms/" + r.ID, r.HostKey, ``, 405, apitypes.CodeMethodNotAllow},
		{"a wrong limit is refused", "GET", "/v1/rooms?limit=0", "", ``, 400, apitypes.CodeInvalidArgument},
		{"too many rooms in one mine lookup are refused", "POST", "/v1/rooms/mine", "", `{"rooms":[` + strings.TrimSuffix(strings.Repeat(`{"id":"x","host_key":"y"},`, 1001), ",") + `]}`, 400, apitypes.CodeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if tt.hostKey != "" {
				req.Header.Set(apitypes.HeaderHostKey, tt.hostKey)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p apitypes.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatalf("body is not a problem: %v", err)
			}
			if resp.StatusCode != tt.wantStatus || p.Code != tt.wantCode || p.Status != tt.wantStatus {
				t.Fatalf("got %d %s (%q), want %d %s", resp.StatusCode, p.Code, p.Detail, tt.wantStatus, tt.wantCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			if p.Detail == "" || p.Type != apitypes.ProblemType || p.Title != http.StatusText(p.Status) {
				t.Errorf("problem lacks a detail or type: %+v", p)
			}
			if tt.wantCode == apitypes.CodeUnknownTheme && len(p.Themes) < 8 {
				t.Errorf("unknown theme lists %d themes", len(p.Themes))
			}
		})
	}
	// Nothing above changed the room.
	got, err := e.c.GetRoom(ctx, r.ID)
	if err != nil || got.Locked || got.State != "open" {
		t.Fatalf("after the bad requests the room is %+v, %v", got, err)
	}
}

func TestCreateToken(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.CreateToken = "rct_secret" })
	ctx := context.Background()
	_, err := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{})
	if p := problemOf(t, err); p.Code != apitypes.CodeUnauthorized {
		t.Fatalf("without a token: %+v", p)
	}
	bad, _ := client.New(e.srv.URL, client.WithCreateToken("rct_wrong"))
	_, err = bad.CreateRoom(ctx, apitypes.CreateRoomRequest{})
	if p := problemOf(t, err); p.Code != apitypes.CodeForbidden {
		t.Fatalf("with a wrong token: %+v", p)
	}
	good, _ := client.New(e.srv.URL, client.WithCreateToken("rct_secret"))
	if _, err := good.CreateRoom(ctx, apitypes.CreateRoomRequest{}); err != nil {
		t.Fatalf("with the token: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.Rate = api.Rate{PerSecond: 1, Burst: 3, CreatesPerMinute: 1, CreateBurst: 2}
	})
	ctx := context.Background()
	var codes []apitypes.Code
	for range 3 {
		_, err := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{})
		if err != nil {
			codes = append(codes, problemOf(t, err).Code)
		}
	}
	if len(codes) != 1 || codes[0] != apitypes.CodeRateLimited {
		t.Fatalf("third create in a burst of 2: %v", codes)
	}
	// The general bucket (burst 3) is now empty too: the clock stands still.
	resp, err := http.Get(e.srv.URL + "/v1/themes")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after the burst: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	e.clock.Add(5 * time.Second)
	if _, err := e.c.Themes(ctx); err != nil {
		t.Fatalf("after waiting: %v", err)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.c.CreateRoom(context.Background(), apitypes.CreateRoomRequest{}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": `rooms_rooms{state="open"} 1`,
	} {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("GET %s = %d, body lacks %q", path, resp.StatusCode, want)
		}
		if path == "/metrics" && !strings.Contains(string(b), `rooms_http_requests_total{code="201",method="POST",route="POST /v1/rooms"} 1`) {
			t.Errorf("metrics lack the create request count:\n%s", b)
		}
	}
}

func TestRoomPage(t *testing.T) {
	e := newEnv(t, nil)
	r, _ := e.c.CreateRoom(context.Background(), apitypes.CreateRoomRequest{Theme: "aperitivo", Visibility: "private"})
	get := func(path string) (int, string, http.Header) {
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, h := get("/r/" + r.ID)
	if code != 200 || !strings.Contains(body, "rooms join http://rooms.test/r/"+r.ID) || !strings.Contains(body, `src="/static/room.js"`) {
		t.Fatalf("room page: %d %s", code, body)
	}
	if c := h.Get("Content-Security-Policy"); !strings.Contains(c, "script-src 'self'") || strings.Contains(c, "unsafe-inline") {
		t.Fatalf("CSP %q", c)
	}
	// A private room's page and a missing room's page say the same.
	missing := "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	code2, body2, _ := get("/r/" + missing)
	if code2 != code || strings.ReplaceAll(body2, missing, r.ID) != body {
		t.Fatalf("a missing room's page differs from a private room's: %d", code2)
	}
	if code, _, _ := get("/r/not-an-id"); code != 404 {
		t.Fatalf("a malformed link: %d", code)
	}
	if code, body, _ := get("/"); code != 200 || !strings.Contains(body, "/static/directory.js") {
		t.Fatalf("root page: %d", code)
	}
	if code, _, h := get("/static/room.js"); code != 200 || !strings.Contains(h.Get("Content-Type"), "javascript") {
		t.Fatalf("room.js: %d %s", code, h.Get("Content-Type"))
	}
	for _, p := range []string{"/static/nope.js", "/static/../api.go", "/static/room.html"} {
		if code, _, _ := get(p); code != 404 {
			t.Errorf("%s: %d, want 404", p, code)
		}
	}
}

func newHTTPServer(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
