//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestBrowserOverTURNOnly: roomsd runs its TURN relay; Chromium opens the
// room with ?transport=relay (iceTransportPolicy "relay": relayed
// candidates only) and a terminal participant joins directly. The page
// decodes the terminal's test pattern, the terminal decodes the page's
// camera, both of the page's PeerConnections selected a relay candidate,
// and roomsd's relay counted packets both ways.
func TestBrowserOverTURNOnly(t *testing.T) {
	turnPort := mustFreePort(t)
	s := startServerWith(t, "--turn", "--turn-listen", "127.0.0.1:"+strconv.Itoa(turnPort), "--turn-relay-ports", "42000-42999")
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "TURN"})
	if err != nil {
		t.Fatal(err)
	}
	goP := startGoPeer(t, s, r.ID, "Go")
	goP.waitEvent(t, map[string]any{"type": "joined"})

	b := newBrowser(t, 1280, 800)
	b.open(r.Link + "?autojoin=1&name=Web&transport=relay")
	b.waitJS("the Go participant's tile", `document.querySelector('#grid .tile .name') && document.querySelector('#grid .tile .name').textContent.includes('Go')`)
	b.waitJS("decoded video frames", `window.roomsDebug.stats().framesDecoded > 10`)
	b.waitJS("the test pattern's red", `(() => { const s = `+redBarJS+`; if (!s) return false; const [r,g,bl] = s.split(',').map(Number); return r > 170 && g < 90 && bl < 90 })()`)
	goP.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Web"})

	var paths []*struct{ Type, Protocol, RelayProtocol string }
	if err := json.Unmarshal([]byte(b.eval(`window.roomsDebug.paths().then(JSON.stringify)`)), &paths); err != nil || len(paths) != 2 {
		t.Fatalf("the page's paths: %v %v", paths, err)
	}
	for i, p := range paths {
		if p == nil || p.Type != "relay" {
			t.Errorf("the page's %s connection did not go through the relay: %+v", []string{"publish", "subscribe"}[i], p)
		}
	}
	// The call goes on while the counters are read: poll them until each
	// has 100 packets, or say what they reached.
	relayed := func(name string) int {
		res, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := regexp.MustCompile(`(?m)^` + name + ` (\d+)`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in roomsd's metrics", name)
		}
		n, _ := strconv.Atoi(string(m[1]))
		return n
	}
	for _, name := range []string{"rooms_turn_relayed_to_media_packets_total", "rooms_turn_relayed_from_media_packets_total"} {
		n := relayed(name)
		for deadline := time.Now().Add(30 * time.Second); n < 100 && time.Now().Before(deadline); n = relayed(name) {
			time.Sleep(200 * time.Millisecond)
		}
		if n < 100 {
			t.Errorf("%s = %d, want at least 100 packets relayed", name, n)
		}
	}
}

// The page believes a join's TURN servers only within pkg/api's bounds:
// turn:/turns: URLs, 4 servers of 8 URLs, strings of 256 bytes at most.
func TestBrowserBoundsICEServers(t *testing.T) {
	s := startServer(t)
	b := newBrowser(t, 800, 600)
	b.open(s.url + "/")
	out := b.eval(`(async () => {
		const { iceServers } = await import('/static/call.js');
		const ok = { urls: ['turn:h:3478?transport=udp', 'turns:h:5349?transport=tcp'], username: '1:p', credential: 'c' };
		const many = Array.from({ length: 7 }, () => ({ urls: Array(12).fill('turn:h:3478'), username: 'u', credential: 'c' }));
		return JSON.stringify({
			ok: iceServers([ok]),
			many: iceServers(many).map((s) => s.urls.length),
			bad: iceServers([
				{ urls: ['stun:h:3478', 'https://h/', 'javascript:x'], username: 'u', credential: 'c' },
				{ urls: ['turn:' + 'h'.repeat(300)], username: 'u', credential: 'c' },
				{ urls: ['turn:h'], username: 'u'.repeat(300), credential: 'c' },
				{ urls: ['turn:h'], username: 7, credential: 'c' },
				{ urls: 'turn:h', username: 'u', credential: 'c' },
				null,
			]),
			notList: iceServers({ urls: ['turn:h'] }),
		});
	})()`)
	var got struct {
		OK      []map[string]any
		Many    []int
		Bad     []any
		NotList []any
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("the page said %q: %v", out, err)
	}
	if len(got.OK) != 1 || len(got.OK[0]["urls"].([]any)) != 2 {
		t.Errorf("a good server was not kept whole: %v", got.OK)
	}
	if len(got.Many) != api.MaxICEServers || got.Many[0] != api.MaxICEURLs {
		t.Errorf("kept %v (servers × URLs), want %d of %d", got.Many, api.MaxICEServers, api.MaxICEURLs)
	}
	if len(got.Bad) != 0 || len(got.NotList) != 0 {
		t.Errorf("kept what is out of bounds: %v %v", got.Bad, got.NotList)
	}
}
