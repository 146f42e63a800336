package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// webhookTestNow is a fixed clock so signatures and tolerance checks are
// deterministic.
var webhookTestNow = time.Unix(1_700_000_000, 0)

// The Standard Webhooks reference vector, so receivers using any
// implementation of the convention accept our signatures.
func TestSignStandardWebhooksVector(t *testing.T) {
	secret, err := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") // whsec_ prefix stripped
	if err != nil {
		t.Fatal(err)
	}
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	ts := time.Unix(1614265330, 0)
	body := []byte(`{"test": 2432232314}`)
	if got := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", want)
	if err := Verify(secret, h, body, ts); err != nil {
		t.Fatalf("Verify(reference vector) = %v", err)
	}
}

func TestSignVerify(t *testing.T) {
	secret := []byte("s3cret-signing-key")
	body := []byte(`{"type":"room.created","room":"abc"}`)
	const id = "msg_1"
	good := Sign(secret, id, webhookTestNow, body)
	headers := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	tsNow := strconv.FormatInt(webhookTestNow.Unix(), 10)
	otherSig := Sign([]byte("other"), id, webhookTestNow, body)

	tests := []struct {
		name    string
		secret  []byte
		h       http.Header
		body    []byte
		now     time.Time
		wantErr error // nil: must verify
	}{
		{"round trip", secret, headers(id, tsNow, good), body, webhookTestNow, nil},
		{"within tolerance late", secret, headers(id, tsNow, good), body, webhookTestNow.Add(4 * time.Minute), nil},
		{"within tolerance early", secret, headers(id, tsNow, good), body, webhookTestNow.Add(-4 * time.Minute), nil},
		{"wrong secret", []byte("wrong"), headers(id, tsNow, good), body, webhookTestNow, errWebhookSignature},
		{"changed body", secret, headers(id, tsNow, good), []byte(`{"type":"room.deleted","room":"abc"}`), webhookTestNow, errWebhookSignature},
		{"changed id", secret, headers("msg_2", tsNow, good), body, webhookTestNow, errWebhookSignature},
		{"stale timestamp", secret, headers(id, tsNow, good), body, webhookTestNow.Add(6 * time.Minute), errWebhookStale},
		{"future timestamp", secret, headers(id, tsNow, good), body, webhookTestNow.Add(-6 * time.Minute), errWebhookStale},
		{"missing id", secret, headers("", tsNow, good), body, webhookTestNow, errWebhookMissing},
		{"missing timestamp", secret, headers(id, "", good), body, webhookTestNow, errWebhookMissing},
		{"missing signature", secret, headers(id, tsNow, ""), body, webhookTestNow, errWebhookMissing},
		{"non-numeric timestamp", secret, headers(id, "yesterday", good), body, webhookTestNow, errWebhookBadTimestamp},
		{"signed timestamp", secret, headers(id, "+"+tsNow, good), body, webhookTestNow, errWebhookBadTimestamp},
		{"multiple, second matches", secret, headers(id, tsNow, "v1,abc "+good), body, webhookTestNow, nil},
		{"multiple, first matches", secret, headers(id, tsNow, good+" v1,def"), body, webhookTestNow, nil},
		{"multiple, doc format none match", secret, headers(id, tsNow, "v1,abc v1,def"), body, webhookTestNow, errWebhookSignature},
		{"multiple, rotated secret", secret, headers(id, tsNow, otherSig+" "+good), body, webhookTestNow, nil},
		{"other version ignored", secret, headers(id, tsNow, "v2,"+strings.TrimPrefix(good, "v1,")), body, webhookTestNow, errWebhookSignature},
		{"bare signature without version", secret, headers(id, tsNow, strings.TrimPrefix(good, "v1,")), body, webhookTestNow, errWebhookSignature},
		{"empty secret", nil, headers(id, tsNow, good), body, webhookTestNow, errWebhookNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.h, tt.body, tt.now)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// webhookReceiver is a test endpoint that checks every request the way a
// real receiver would and answers with status (and respBody).
type webhookReceiver struct {
	t        *testing.T
	secret   []byte
	status   int
	respBody string
	hits     atomic.Int32
	lastBody atomic.Value // string
}

func (rc *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.hits.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver: reading body: %v", err)
	}
	rc.lastBody.Store(string(body))
	if r.Method != http.MethodPost {
		rc.t.Errorf("receiver: method %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		rc.t.Errorf("receiver: Content-Type %q", ct)
	}
	if ua := r.Header.Get("User-Agent"); ua != "roomsd-webhooks/1" {
		rc.t.Errorf("receiver: User-Agent %q", ua)
	}
	if ts := r.Header.Get("webhook-timestamp"); ts != strconv.FormatInt(webhookTestNow.Unix(), 10) {
		rc.t.Errorf("receiver: webhook-timestamp %q, want the sender's Now", ts)
	}
	if err := Verify(rc.secret, r.Header, body, webhookTestNow); err != nil {
		rc.t.Errorf("receiver: Verify: %v", err)
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if rc.status >= 300 && rc.status <= 399 {
		// Redirect to a path that must never be requested.
		w.Header().Set("Location", "/moved")
	}
	w.WriteHeader(rc.status)
	io.WriteString(w, rc.respBody)
}

func newTestSender(allowPrivate bool, timeout time.Duration) *WebhookSender {
	return NewWebhookSender(SenderOptions{
		AllowPrivate: allowPrivate,
		Timeout:      timeout,
		Now:          func() time.Time { return webhookTestNow },
	})
}

// asDeliveryError fails the test unless err is a *DeliveryError.
func asDeliveryError(t *testing.T, err error) *DeliveryError {
	t.Helper()
	var de *DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("Send = %v (%T), want *DeliveryError", err, err)
	}
	return de
}

func TestSendStatus(t *testing.T) {
	secret := []byte("receiver-secret")
	tests := []struct {
		status     int
		respBody   string
		wantErr    bool
		retryable  bool
		wantReason string // substring of Reason
	}{
		{status: 200},
		{status: 204},
		{status: 202},
		{status: 500, respBody: "database on fire", wantErr: true, retryable: true, wantReason: "database on fire"},
		{status: 503, wantErr: true, retryable: true, wantReason: "503 Service Unavailable"},
		{status: 429, wantErr: true, retryable: true, wantReason: "429"},
		{status: 408, wantErr: true, retryable: true, wantReason: "408"},
		{status: 400, respBody: "bad event", wantErr: true, wantReason: "bad event"},
		{status: 401, wantErr: true, wantReason: "401 Unauthorized"},
		{status: 404, wantErr: true, wantReason: "404"},
		{status: 410, wantErr: true, wantReason: "410 Gone"},
		{status: 301, wantErr: true, wantReason: "redirects are not followed"},
		{status: 307, wantErr: true, wantReason: "redirects are not followed"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			rc := &webhookReceiver{t: t, secret: secret, status: tt.status, respBody: tt.respBody}
			mux := http.NewServeMux()
			var redirected atomic.Bool
			mux.HandleFunc("/moved", func(http.ResponseWriter, *http.Request) { redirected.Store(true) })
			mux.Handle("/hook", rc)
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)

			body := []byte(`{"type":"room.created"}`)
			err := newTestSender(true, 5*time.Second).Send(context.Background(), Webhook{URL: srv.URL + "/hook", Secret: secret}, "msg_"+strconv.Itoa(tt.status), body)
			if got := rc.hits.Load(); got != 1 {
				t.Fatalf("receiver hit %d times, want 1", got)
			}
			if got, _ := rc.lastBody.Load().(string); got != string(body) {
				t.Errorf("receiver got body %q, want %q", got, body)
			}
			if redirected.Load() {
				t.Errorf("redirect was followed")
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
				return
			}
			de := asDeliveryError(t, err)
			if de.Status != tt.status || de.Retryable != tt.retryable {
				t.Errorf("DeliveryError{Status: %d, Retryable: %v}, want {%d, %v}", de.Status, de.Retryable, tt.status, tt.retryable)
			}
			if !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("Reason %q does not contain %q", de.Reason, tt.wantReason)
			}
			if strings.Contains(de.Error(), string(secret)) {
				t.Errorf("error %q leaks the secret", de.Error())
			}
		})
	}
}

// A receiver's response body reaches operators only as a short, single-line
// excerpt, however large or hostile it is.
func TestSendResponseBodyIsBounded(t *testing.T) {
	huge := strings.Repeat("x", 300) + "\x1b[31m\nEND" + strings.Repeat("y", 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "é"+huge) // a two-byte rune first, so the cut is not rune-aligned by accident
	}))
	t.Cleanup(srv.Close)

	start := time.Now()
	err := newTestSender(true, 5*time.Second).Send(context.Background(), Webhook{URL: srv.URL, Secret: []byte("k")}, "msg_1", []byte(`{}`))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v", d)
	}
	de := asDeliveryError(t, err)
	if !de.Retryable || de.Status != http.StatusBadGateway {
		t.Errorf("got %+v, want retryable 502", de)
	}
	excerpt := de.Reason[strings.Index(de.Reason, ": ")+2:]
	if len(excerpt) > 200 {
		t.Errorf("body excerpt is %d bytes, want at most 200: %q", len(excerpt), excerpt)
	}
	if strings.ContainsAny(de.Reason, "\n\x1b\ufffd") || strings.Contains(de.Reason, "END") {
		t.Errorf("Reason %q has control characters, a broken rune, or more than 200 body bytes", de.Reason)
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hang until the client gives up (or the test ends).
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	start := time.Now()
	err := newTestSender(true, 200*time.Millisecond).Send(context.Background(), Webhook{URL: srv.URL, Secret: []byte("k")}, "msg_1", []byte(`{}`))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v with a 200ms timeout", d)
	}
	de := asDeliveryError(t, err)
	if !de.Retryable || de.Status != 0 {
		t.Errorf("got %+v, want retryable with status 0", de)
	}
	if !strings.Contains(de.Reason, "no response within 200ms") {
		t.Errorf("Reason %q does not name the timeout", de.Reason)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, context.DeadlineExceeded) = false for %v", err)
	}
}

// A caller's cancellation (shutdown) is not the receiver's fault: the
// delivery stays retryable and the cause is visible to errors.Is.
func TestSendCallerCanceled(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := newTestSender(true, 5*time.Second).Send(ctx, Webhook{URL: srv.URL, Secret: []byte("k")}, "msg_1", []byte(`{}`))
	de := asDeliveryError(t, err)
	if !de.Retryable || !errors.Is(err, context.Canceled) {
		t.Errorf("got %+v (%v), want retryable wrapping context.Canceled", de, err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	u := srv.URL
	srv.Close() // nothing listens there any more

	err := newTestSender(true, 5*time.Second).Send(context.Background(), Webhook{URL: u + "/hook?token=tok123", Secret: []byte("k")}, "msg_1", []byte(`{}`))
	de := asDeliveryError(t, err)
	if !de.Retryable || de.Status != 0 {
		t.Errorf("got %+v, want retryable network error with status 0", de)
	}
	if strings.Contains(de.Reason, "tok123") {
		t.Errorf("Reason %q repeats the URL's query", de.Reason)
	}
}

// roundTripperFunc is an http.RoundTripper the sender cannot look inside.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Without AllowPrivate, the rule is enforced when connecting, whatever the
// URL looks like and whatever client was configured.
func TestSendRefusesPrivateAtDial(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var rtCalled atomic.Bool
	opaque := &http.Client{Transport: roundTripperFunc(func(*http.Request) (*http.Response, error) {
		rtCalled.Store(true)
		return nil, errors.New("must not be called")
	})}
	callerTransport := &http.Transport{}
	t.Cleanup(callerTransport.CloseIdleConnections)

	tests := []struct {
		name       string
		url        string
		client     *http.Client
		wantReason string
	}{
		{"IP literal", srv.URL, nil, "--webhook-allow-private"},
		// localhost goes through DNS (/etc/hosts): the check sees the
		// resolved address, as it would after a rebinding attack.
		{"name resolving to loopback", "http://localhost:" + u.Port(), nil, "--webhook-allow-private"},
		{"caller's *http.Transport", srv.URL, &http.Client{Transport: callerTransport}, "--webhook-allow-private"},
		{"caller's proxy is bypassed", srv.URL, &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: "203.0.113.1:3128"})}}, "--webhook-allow-private"},
		{"unguardable transport", srv.URL, opaque, "cannot be checked for private targets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewWebhookSender(SenderOptions{Timeout: 5 * time.Second, Client: tt.client})
			start := time.Now()
			err := s.Send(context.Background(), Webhook{URL: tt.url, Secret: []byte("k")}, "msg_1", []byte(`{}`))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Send took %v", d)
			}
			de := asDeliveryError(t, err)
			if de.Retryable || de.Status != 0 {
				t.Errorf("got %+v, want a non-retryable refusal", de)
			}
			if !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("Reason %q does not contain %q", de.Reason, tt.wantReason)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the private server received %d requests", n)
	}
	if rtCalled.Load() {
		t.Errorf("the unguardable transport was used")
	}

	// The same server is reachable once private targets are allowed.
	s := NewWebhookSender(SenderOptions{AllowPrivate: true, Timeout: 5 * time.Second})
	if err := s.Send(context.Background(), Webhook{URL: srv.URL, Secret: []byte("k")}, "msg_1", []byte(`{}`)); err != nil {
		t.Fatalf("Send with AllowPrivate = %v", err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("server received %d requests with AllowPrivate, want 1", n)
	}
}

// The sender works on a copy of a configured client: the caller's redirect
// policy is not changed, yet redirects are still not followed.
func TestSendCallerClientNotModified(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/next", http.StatusFound) })
	mux.HandleFunc("/next", func(http.ResponseWriter, *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	caller := &http.Client{}
	s := NewWebhookSender(SenderOptions{AllowPrivate: true, Timeout: 5 * time.Second, Client: caller})
	err := s.Send(context.Background(), Webhook{URL: srv.URL + "/hook", Secret: []byte("k")}, "msg_1", []byte(`{}`))
	if de := asDeliveryError(t, err); de.Retryable || de.Status != http.StatusFound {
		t.Errorf("got %+v, want non-retryable 302", de)
	}
	if followed.Load() {
		t.Errorf("redirect was followed")
	}
	if caller.CheckRedirect != nil || caller.Transport != nil {
		t.Errorf("caller's client was modified: %+v", caller)
	}
}

// Input that can never be delivered fails before any request, and is not
// retryable.
func TestSendRejectsBadInput(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	ok := Webhook{URL: srv.URL, Secret: []byte("k")}

	tests := []struct {
		name       string
		w          Webhook
		id         string
		body       []byte
		wantReason string
	}{
		{"no secret", Webhook{URL: srv.URL}, "msg_1", []byte(`{}`), "no signing secret"},
		{"empty id", ok, "", []byte(`{}`), "message id"},
		{"id with newline", ok, "msg\r\nX-Evil: 1", []byte(`{}`), "message id"},
		{"body too large", ok, "msg_1", make([]byte, webhookMaxBody+1), "limit"},
		{"ftp URL", Webhook{URL: "ftp://example.com/x", Secret: []byte("k")}, "msg_1", []byte(`{}`), "not supported"},
		{"userinfo", Webhook{URL: strings.Replace(srv.URL, "//", "//user:hunter2@", 1), Secret: []byte("k")}, "msg_1", []byte(`{}`), "user name or password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := newTestSender(true, 5*time.Second).Send(context.Background(), tt.w, tt.id, tt.body)
			de := asDeliveryError(t, err)
			if de.Retryable || de.Status != 0 {
				t.Errorf("got %+v, want non-retryable with status 0", de)
			}
			if !strings.Contains(de.Reason, tt.wantReason) {
				t.Errorf("Reason %q does not contain %q", de.Reason, tt.wantReason)
			}
			if strings.Contains(de.Reason, "hunter2") {
				t.Errorf("Reason %q leaks a password", de.Reason)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server received %d requests for invalid input", n)
	}
}

func TestWebhookStringHidesSecret(t *testing.T) {
	w := Webhook{URL: "https://bob:pa55word@example.com/hook", Secret: []byte("topsecret")}
	for _, s := range []string{fmt.Sprint(w), fmt.Sprintf("%+v", w), w.String()} {
		if strings.Contains(s, "topsecret") || strings.Contains(s, "pa55word") {
			t.Errorf("formatted webhook %q leaks a secret", s)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		min     time.Duration // the schedule's step d; results lie in [d, d*1.1]
	}{
		{-1, 5 * time.Second}, // out-of-range attempts count as the first
		{0, 5 * time.Second},
		{1, 5 * time.Second},
		{2, 5 * time.Minute},
		{3, 30 * time.Minute},
		{4, 2 * time.Hour},
		{5, 5 * time.Hour},
		{6, 10 * time.Hour},
		{7, 10 * time.Hour},
		{8, 10 * time.Hour}, // past the schedule: its last step
		{1000, 10 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.attempt), func(t *testing.T) {
			seen := map[time.Duration]bool{}
			for range 200 {
				d := Backoff(tt.attempt)
				if d < tt.min || d > tt.min+tt.min/10 {
					t.Fatalf("Backoff(%d) = %v, want within [%v, %v]", tt.attempt, d, tt.min, tt.min+tt.min/10)
				}
				seen[d] = true
			}
			// 200 draws from millions of values: all equal means no jitter.
			if len(seen) < 2 {
				t.Errorf("Backoff(%d) returned the same value 200 times", tt.attempt)
			}
		})
	}
}
