//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rooms-dev/rooms/pkg/api"
)

// roomsInStore reads how many rooms roomsd holds from its /metrics.
func roomsInStore(t *testing.T, s *server) int {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "rooms_rooms{") {
			if f := strings.Fields(l); len(f) == 2 {
				v, _ := strconv.ParseFloat(f[1], 64)
				n += int(v)
			}
		}
	}
	return n
}

// wsOutcome opens a call connection from the page and says whether it
// opened or was closed first.
func wsOutcome(url string) string {
	return `new Promise(res => { const ws = new WebSocket(` + "`" + url + "`" + `, 'rooms.v1');
		ws.onopen = () => { res('open'); ws.close(); }; ws.onclose = () => res('closed'); })`
}

// A web page of another site, open in the user's browser, tries a roomsd
// on the user's machine: a simple cross-origin POST (no preflight) and a
// call connection.
func TestBrowserOnAnotherSiteCannotActOnRoomsd(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><title>another site</title><p>hello")
	}))
	t.Cleanup(evil.Close)
	b := newBrowser(t, 800, 600)
	b.open(evil.URL)
	before := roomsInStore(t, s)
	if got := b.eval(`fetch('` + s.url + `/v1/rooms', {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: '{"name":"from another site"}'}).then(() => 'sent', e => 'error: ' + e)`); got != "sent" {
		t.Fatalf("the page could not even send: %s", got)
	}
	if got := b.eval(wsOutcome("ws" + strings.TrimPrefix(s.url, "http") + "/r/" + r.ID)); got != "closed" {
		t.Fatalf("a call connection from another site: %s", got)
	}
	if after := roomsInStore(t, s); after != before {
		t.Fatalf("a page of another site created a room: %d rooms before, %d after", before, after)
	}
}

// DNS rebinding: the attacker's name resolves to roomsd's address, so its
// page is same-origin with what it reaches; only the Host tells.
func TestBrowserRebindingIsRefused(t *testing.T) {
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 800, 600, chromedp.Flag("host-resolver-rules", "MAP evil.example 127.0.0.1"))
	port := s.url[strings.LastIndex(s.url, ":")+1:]
	evil := "http://evil.example:" + port
	// Health checks answer any name: a page of that origin to act from.
	b.open(evil + "/healthz")
	before := roomsInStore(t, s)
	if got := b.eval(`fetch('/v1/rooms', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => String(r.status))`); got != "421" {
		t.Fatalf("a rebound page creating a room: HTTP %s, want 421", got)
	}
	if got := b.eval(`fetch('/v1/rooms/` + r.ID + `').then(r => String(r.status))`); got != "421" {
		t.Fatalf("a rebound page reading a room: HTTP %s, want 421", got)
	}
	if got := b.eval(wsOutcome("ws://evil.example:" + port + "/r/" + r.ID)); got != "closed" {
		t.Fatalf("a call connection from a rebound page: %s", got)
	}
	if after := roomsInStore(t, s); after != before {
		t.Fatalf("a rebound page created a room: %d rooms before, %d after", before, after)
	}
	// The real page, from 127.0.0.1, still works (the other browser tests
	// join calls from it); here it creates nothing but reads the room.
	b.open(s.url + "/healthz")
	if got := b.eval(`fetch('/v1/rooms/` + r.ID + `').then(r => String(r.status))`); got != "200" {
		t.Fatalf("roomsd's own origin reading a room: HTTP %s", got)
	}
}
