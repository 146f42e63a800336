//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// The page knows the codes as pkg/api's table has them: served as
// /static/codes.js, signal.js's FINAL_CODES are the final codes, and
// call.js's endReason gives a final refusal of the person or the room its
// own end screen and everything else the error screen.
func TestBrowserReadsTheCodeTable(t *testing.T) {
	s := startServer(t)
	b := newBrowser(t, 800, 600)
	b.open(s.url + "/")
	out := b.eval(`(async () => {
		const { CODES } = await import('/static/codes.js');
		const { FINAL_CODES } = await import('/static/signal.js');
		const { endReason } = await import('/static/call.js');
		const seen = {};
		for (const code of Object.keys(CODES)) {
			seen[code] = { status: CODES[code].status, exit: CODES[code].exit, final: FINAL_CODES.has(code), reason: endReason(code) };
		}
		return JSON.stringify(seen);
	})()`)
	var seen map[api.Code]struct {
		Status int
		Exit   api.ExitClass
		Final  bool
		Reason string
	}
	if err := json.Unmarshal([]byte(out), &seen); err != nil {
		t.Fatalf("the page said %q: %v", out, err)
	}
	if len(seen) != len(api.Codes()) {
		t.Errorf("the page knows %d codes, the table has %d", len(seen), len(api.Codes()))
	}
	for _, c := range api.Codes() {
		got, ok := seen[c.Code]
		if !ok {
			t.Errorf("the page does not know %s", c.Code)
			continue
		}
		want := "error"
		switch {
		case c.Code == api.CodeRoomEnded:
			want = "ended"
		case c.Final && (c.Exit == api.ExitRefused || c.Exit == api.ExitNotFound) && c.Code != api.CodeForbidden:
			want = string(c.Code)
		}
		if got.Status != c.Status || got.Exit != c.Exit || got.Final != c.Final || got.Reason != want {
			t.Errorf("%s in the page: %+v; the table: status %d, exit %s, final %v, end screen %q", c.Code, got, c.Status, c.Exit, c.Final, want)
		}
	}
}
