package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Names of the Standard Webhooks headers (https://www.standardwebhooks.com).
const (
	webhookHeaderID        = "webhook-id"
	webhookHeaderTimestamp = "webhook-timestamp"
	webhookHeaderSignature = "webhook-signature"
)

const (
	webhookUserAgent = "roomsd-webhooks/1"
	// webhookDefaultTimeout bounds one attempt; the spec suggests 15 to 30 s.
	webhookDefaultTimeout = 15 * time.Second
	// webhookTolerance is how far a received timestamp may be from the
	// receiver's clock; it bounds replays of captured deliveries.
	webhookTolerance = 5 * time.Minute
	// webhookMaxBody bounds an event body. Events are small JSON documents;
	// anything near this size is a bug upstream, and receivers commonly
	// reject large bodies anyway.
	webhookMaxBody = 1 << 20
	// webhookMaxResponse is how much of a response is read. Receivers only
	// answer with a status; reading a little lets the connection be reused
	// and gives operators a hint, without letting a receiver make us buffer
	// an unbounded body.
	webhookMaxResponse = 4 << 10
	// webhookReasonBody is how much of a response body goes into a reason.
	webhookReasonBody = 200

	// RetryAfterMin and RetryAfterMax bound how long a receiver's
	// Retry-After may make a delivery wait: not sooner than 5 s (an answer
	// of 0 must not make a busy loop), not later than the longest step of
	// the schedule (a receiver cannot park a delivery for days).
	RetryAfterMin = 5 * time.Second
	RetryAfterMax = 10 * time.Hour
)

// retrySchedule is the Standard Webhooks retry schedule: after the first
// attempt fails, retry 5 s later, then 5 min, 30 min, 2 h, 5 h, 10 h and
// 10 h after the one before: eight attempts over about 27 and a half
// hours, so a receiver down for an afternoon still gets its events.
var retrySchedule = [...]time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// MaxAttempts is how many delivery attempts are made, the first included,
// before a delivery is dead-lettered: one, then one per step of the retry
// schedule (see Backoff; TestRetrySchedule holds the two together).
const MaxAttempts = 8

// Webhook is one endpoint and its signing secret.
type Webhook struct {
	URL    string
	Secret []byte
}

// String describes w for logs without its secret, and with any password in
// the URL masked.
func (w Webhook) String() string {
	shown := "(unparsable URL)"
	if u, err := url.Parse(w.URL); err == nil {
		shown = u.Redacted()
	}
	return fmt.Sprintf("webhook %s (secret redacted)", shown)
}

// SenderOptions configures a WebhookSender. The zero value is a safe
// production configuration.
type SenderOptions struct {
	// AllowPrivate allows loopback, private and link-local targets (tests,
	// LANs). Without it every connection is checked at dial time.
	AllowPrivate bool
	// Timeout bounds one attempt, from dialling to reading the response;
	// default 15 s.
	Timeout time.Duration
	// Now is the clock used for webhook-timestamp; default time.Now.
	Now func() time.Time
	// Client is optional. The sender works on a copy: redirects are never
	// followed, and unless AllowPrivate is set its transport is replaced by
	// a clone whose dialer enforces the network rule and which uses no
	// proxy (a proxy would connect to the target on our behalf, unchecked).
	// A Transport that is not an *http.Transport cannot be guarded, so
	// without AllowPrivate every Send then fails with a non-retryable error.
	Client *http.Client
}

// WebhookSender posts events to webhooks, signed per the Standard Webhooks
// convention (https://www.standardwebhooks.com): headers webhook-id,
// webhook-timestamp (unix seconds), and webhook-signature =
// "v1," + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
// It makes single attempts; retry scheduling (Backoff, MaxAttempts) belongs
// to the caller. It is safe for concurrent use.
type WebhookSender struct {
	client  *http.Client
	timeout time.Duration
	now     func() time.Time
	// setupErr, if set, is why the configured client cannot be used; every
	// Send fails with it rather than deliver unguarded.
	setupErr string
}

// NewWebhookSender returns a sender configured by o.
func NewWebhookSender(o SenderOptions) *WebhookSender {
	s := &WebhookSender{timeout: o.Timeout, now: o.Now}
	if s.timeout <= 0 {
		s.timeout = webhookDefaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	var c http.Client
	if o.Client != nil {
		c = *o.Client // a copy, so the caller's client keeps its own policy
	}
	// A redirect would be a second, unsigned-for-that-URL request to a
	// target that CheckURL never saw; report it instead.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	switch t := c.Transport.(type) {
	case nil:
		c.Transport = webhookTransport(nil, o.AllowPrivate)
	case *http.Transport:
		if !o.AllowPrivate {
			c.Transport = webhookTransport(t, false)
		}
	default:
		if !o.AllowPrivate {
			s.setupErr = fmt.Sprintf("the sender's HTTP transport (%T) cannot be checked for private targets; configure an *http.Transport or allow private targets", t)
		}
	}
	s.client = &c
	return s
}

// webhookTransport returns a transport for deliveries: a clone of base (or
// a fresh one) whose every connection goes through a dialer that, unless
// allowPrivate, checks the remote IP after DNS resolution.
func webhookTransport(base *http.Transport, allowPrivate bool) *http.Transport {
	var t *http.Transport
	if base != nil {
		t = base.Clone()
	} else {
		t = &http.Transport{
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: 1 * time.Second,
		}
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = ssrfControl
	}
	// Every way the transport could open a connection must go through d:
	// custom dial hooks take priority over DialContext, and a proxy would
	// make the checked address the proxy's rather than the receiver's.
	t.DialContext = d.DialContext
	t.DialTLSContext = nil
	t.DialTLS = nil //lint:ignore SA1019 deprecated, but net/http still honours it when set
	t.Proxy = nil
	return t
}

// DeliveryError is a failed delivery attempt.
type DeliveryError struct {
	// Status is the receiver's HTTP status, or 0 if none was received
	// (network error, timeout, refused target, invalid input).
	Status int
	// Retryable says whether a later attempt may succeed: network errors,
	// timeouts, 408, 429 and 5xx.
	Retryable bool
	// Reason is a short explanation for operators. It holds no secrets and
	// at most 200 bytes of the response body.
	Reason string
	// RetryAfter is how long the receiver asked to be left alone
	// (Retry-After, in seconds or as a date), 0 if it did not say.
	RetryAfter time.Duration

	err error // underlying cause, for errors.Is (e.g. context.Canceled)
}

// Error implements error.
func (e *DeliveryError) Error() string { return "webhook delivery failed: " + e.Reason }

// Unwrap returns the underlying cause, if any.
func (e *DeliveryError) Unwrap() error { return e.err }

func webhookPermanent(reason string, err error) *DeliveryError {
	return &DeliveryError{Reason: reason, err: err}
}

// Send makes one delivery attempt of body (JSON) with message id msgID. It
// returns nil on any 2xx; a *DeliveryError otherwise, saying whether
// retrying makes sense and the status code (0 for network errors).
// Redirects are not followed: a 3xx is a non-retryable failure. The
// attempt, including reading the response, is bounded by the sender's
// Timeout.
func (s *WebhookSender) Send(ctx context.Context, w Webhook, msgID string, body []byte) error {
	if s.setupErr != "" {
		return webhookPermanent(s.setupErr, nil)
	}
	// The shape of the URL is checked here too (it may have been stored
	// before validation existed); the network rule is enforced by the
	// dialer, which sees the resolved address.
	if err := CheckURL(w.URL, true); err != nil {
		return webhookPermanent(err.Error(), err)
	}
	if len(w.Secret) == 0 {
		return webhookPermanent("webhook has no signing secret; configure one so receivers can verify deliveries", nil)
	}
	if !webhookValidID(msgID) {
		return webhookPermanent("message id must be non-empty printable ASCII without spaces", nil)
	}
	if len(body) > webhookMaxBody {
		return webhookPermanent(fmt.Sprintf("event body is %d bytes; the limit is %d", len(body), webhookMaxBody), nil)
	}

	ts := s.now()
	actx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return webhookPermanent("cannot build request: "+webhookCause(err), err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set(webhookHeaderID, msgID)
	req.Header.Set(webhookHeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(webhookHeaderSignature, Sign(w.Secret, msgID, ts, body))

	resp, err := s.client.Do(req)
	if err != nil {
		return s.networkError(ctx, actx, err)
	}
	defer resp.Body.Close()
	// A failed or timed-out read still leaves the status, which is what
	// decides the outcome; the partial body is only a hint.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, webhookMaxResponse))

	code := resp.StatusCode
	status := fmt.Sprintf("receiver answered %d %s", code, http.StatusText(code))
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code >= 300 && code <= 399:
		reason := status + "; redirects are not followed, set the webhook URL to the final address"
		if loc := webhookPrintable([]byte(resp.Header.Get("Location")), webhookReasonBody); loc != "" {
			reason += " (Location: " + loc + ")"
		}
		return &DeliveryError{Status: code, Reason: reason}
	}
	if text := webhookPrintable(snippet, webhookReasonBody); text != "" {
		status += ": " + text
	}
	retry := code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || (code >= 500 && code <= 599)
	de := &DeliveryError{Status: code, Retryable: retry, Reason: status}
	if retry {
		de.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	}
	return de
}

// retryAfter reads a Retry-After value (RFC 9110 §10.2.3: seconds, or an
// HTTP date) as a wait from now; 0 when absent, unreadable or past.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(RetryAfterMax/time.Second)+1)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// networkError classifies an error from Client.Do. parent is the caller's
// context and attempt the per-attempt one derived from it.
func (s *WebhookSender) networkError(parent, attempt context.Context, err error) *DeliveryError {
	var blocked *ssrfBlockedError
	switch {
	case errors.As(err, &blocked):
		// The address will still be forbidden next time.
		return webhookPermanent(blocked.Error(), err)
	case parent.Err() != nil:
		// The caller gave up (shutdown, or its own deadline); the receiver
		// did not fail, so the delivery should be tried again later.
		return &DeliveryError{Retryable: true, Reason: "delivery stopped by caller: " + parent.Err().Error(), err: err}
	case errors.Is(attempt.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || webhookIsTimeout(err):
		return &DeliveryError{Retryable: true, Reason: fmt.Sprintf("no response within %v", s.timeout), err: err}
	}
	return &DeliveryError{Retryable: true, Reason: "network error: " + webhookCause(err), err: err}
}

func webhookIsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// webhookCause is err's message without the URL that url.Error adds, since
// a webhook URL may carry a receiver's token.
func webhookCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return webhookPrintable([]byte(err.Error()), 300)
}

// webhookValidID reports whether id can be sent as a header value and read
// back unchanged: visible ASCII, no spaces.
func webhookValidID(id string) bool {
	if id == "" || len(id) > 256 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// webhookPrintable turns untrusted bytes into a single-line string of at most
// max bytes, safe to put in a log line: invalid UTF-8 and control characters
// become spaces, and runs of whitespace collapse.
func webhookPrintable(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
		// Do not let the cut split a rune into a replacement character.
		for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
			b = b[:len(b)-1]
		}
	}
	s := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(b))
	return strings.Join(strings.Fields(s), " ")
}

// Sign computes the webhook-signature header value for one message:
// "v1," + base64(HMAC-SHA256(secret, msgID + "." + unix seconds + "." + body)).
// It is exported for receivers and tests.
func Sign(secret []byte, msgID string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(webhookMAC(secret, msgID, strconv.FormatInt(ts.Unix(), 10), body))
}

func webhookMAC(secret []byte, msgID, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, msgID)
	m.Write([]byte{'.'})
	io.WriteString(m, ts)
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors returned by Verify, wrapped with detail.
var (
	errWebhookNoSecret     = errors.New("no webhook secret configured")
	errWebhookMissing      = errors.New("missing webhook header")
	errWebhookBadTimestamp = errors.New("invalid webhook-timestamp")
	errWebhookStale        = errors.New("webhook timestamp outside tolerance")
	errWebhookSignature    = errors.New("no matching webhook signature")
)

// Verify checks a received request's headers and body against secret. The
// timestamp must be within 5 minutes of now, either way, which limits
// replays. webhook-signature may hold several space-separated signatures
// ("v1,abc v1,def", as during secret rotation); one matching v1 signature
// is enough, and other versions are ignored.
func Verify(secret []byte, h http.Header, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return errWebhookNoSecret
	}
	id, ts, sigs := h.Get(webhookHeaderID), h.Get(webhookHeaderTimestamp), h.Get(webhookHeaderSignature)
	for _, kv := range [][2]string{{webhookHeaderID, id}, {webhookHeaderTimestamp, ts}, {webhookHeaderSignature, sigs}} {
		if kv[1] == "" {
			return fmt.Errorf("%w %s", errWebhookMissing, kv[0])
		}
	}
	// The signature covers the timestamp as sent, so only plain digits are
	// accepted: "+17…" or " 17…" would parse but sign differently.
	if len(ts) > 12 || strings.Trim(ts, "0123456789") != "" {
		return fmt.Errorf("%w: %q is not unix seconds", errWebhookBadTimestamp, webhookPrintable([]byte(ts), 40))
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %v", errWebhookBadTimestamp, err)
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > webhookTolerance || skew < -webhookTolerance {
		return fmt.Errorf("%w: it is %v from now, tolerance is %v", errWebhookStale, skew.Round(time.Second), webhookTolerance)
	}
	want := webhookMAC(secret, id, ts, body)
	for _, sig := range strings.Fields(sigs) {
		version, value, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			continue
		}
		if hmac.Equal(got, want) { // constant time
			return nil
		}
	}
	return errWebhookSignature
}

// Backoff is the wait after the attempt-th failed attempt of a delivery,
// before the next one (attempt is 1-based; values below 1 count as 1, past
// the schedule as its last step): the Standard Webhooks schedule
// (retrySchedule), each step lengthened by a random 0 to 10% so deliveries
// failed by one outage do not all come back in the same second.
func Backoff(attempt int) time.Duration {
	i := min(max(attempt, 1), len(retrySchedule)) - 1
	d := retrySchedule[i]
	return d + rand.N(d/10+1)
}

// RetryWait is the wait before retrying a delivery after its attempt-th
// failed attempt failed with err: the receiver's Retry-After when it gave
// one, bounded by RetryAfterMin and RetryAfterMax, else Backoff.
func RetryWait(attempt int, err error) time.Duration {
	var de *DeliveryError
	if errors.As(err, &de) && de.RetryAfter > 0 {
		return min(max(de.RetryAfter, RetryAfterMin), RetryAfterMax)
	}
	return Backoff(attempt)
}
