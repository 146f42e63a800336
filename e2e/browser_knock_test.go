//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
)

// lockedRoom makes a room and locks it with its host key.
func lockedRoom(t *testing.T, s *server) api.Room {
	t.Helper()
	ctx := context.Background()
	r, err := s.c.CreateRoom(ctx, api.CreateRoomRequest{Name: "Knock knock"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := s.c.UpdateRoom(ctx, r.ID, r.HostKey, api.UpdateRoomRequest{Locked: &yes}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBrowserKnock: a browser finds the room locked, asks to join, waits;
// the host in a terminal sees the knock and admits it with `rooms admit`;
// the browser is in the call and sees the host's video.
func TestBrowserKnock(t *testing.T) {
	s := startServer(t)
	r := lockedRoom(t, s)
	host := startPeerWith(t, s, r.ID, "--name", "Host", "--video", "testsrc", "--host-key", r.HostKey)
	host.waitEvent(t, map[string]any{"type": "joined", "host": true})

	b := newBrowser(t, 1280, 800)
	b.open(r.Link + "?autojoin=1&name=Web")
	b.waitJS("the locked page", `document.querySelector('#end-screen[data-reason="room_locked"] #knock')`)
	b.click("#knock")
	b.waitJS("waiting for the host", `document.querySelector('#knock-wait') && window.roomsDebug.state().knocking`)

	k := host.waitEvent(t, map[string]any{"type": "knock", "name": "Web"})
	cmd := exec.Command(filepath.Join(binDir, "rooms"), "admit", r.ID, "Web", "--host-key", r.HostKey)
	cmd.Env = append(os.Environ(), "ROOMS_SERVER="+s.url, "XDG_STATE_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rooms admit: %v\n%s", err, out)
	}
	host.waitEvent(t, map[string]any{"type": "knock_ended", "knock": k["knock"], "reason": "admitted"})

	b.waitJS("the call", `!document.querySelector('#knock-wait') && !document.querySelector('#call').hidden && window.roomsDebug.state().you`)
	b.waitJS("the host's video", `window.roomsDebug.stats().framesDecoded > 5`)
	host.waitEvent(t, map[string]any{"type": "participant_joined", "name": "Web"})
	host.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Web"})
}

// TestBrowserHostAdmitsATerminalKnock: the host in a browser sees a
// terminal's knock with Admit and Decline, and Admit lets it in.
func TestBrowserHostAdmitsATerminalKnock(t *testing.T) {
	s := startServer(t)
	r := lockedRoom(t, s)
	b := newBrowser(t, 1280, 800)
	b.open(r.Link + "?autojoin=1&name=Host#host=" + r.HostKey)
	b.waitJS("host rights", `window.roomsDebug.state().you && window.roomsDebug.state().you.host === true`)

	guest := startPeerWith(t, s, r.ID, "--name", "Term", "--video", "testsrc", "--knock")
	guest.waitEvent(t, map[string]any{"type": "knocking"})
	b.waitJS("the knock with its buttons", `[...document.querySelectorAll('#knocks .knock')].some((k) => k.textContent.includes('Term') && k.querySelector('.knock-admit') && k.querySelector('.knock-decline'))`)
	b.click("#knocks .knock .knock-admit")
	guest.waitEvent(t, map[string]any{"type": "joined"})
	b.waitJS("the knock gone", `document.querySelector('#knocks').hidden && window.roomsDebug.state().knocks.length === 0`)
	b.waitJS("Term's tile", `document.querySelector('#grid .tile .name') && document.querySelector('#grid .tile .name').textContent.includes('Term')`)
}

// TestBrowserPrejoinOnALockedRoomAsks: the pre-join of a locked room says
// that joining asks the host, and its Join knocks at once (no refusal
// first); the host admits over the CLI's API and the browser is in.
func TestBrowserPrejoinOnALockedRoomAsks(t *testing.T) {
	ctx := context.Background()
	s := startServer(t)
	r := lockedRoom(t, s)
	b := newBrowser(t, 1280, 800)
	b.open(r.Link)
	b.waitJS("the pre-join asking", `document.querySelector('#join').textContent === 'Ask to join' && document.querySelector('#pj-cli').textContent.endsWith('--knock')`)
	b.eval(`(() => { const n = document.querySelector('#name'); n.value = 'Pat'; n.dispatchEvent(new Event('input', { bubbles: true })); return 'ok'; })()`)
	b.click("#join")
	b.waitJS("waiting for the host", `document.querySelector('#knock-wait') && window.roomsDebug.state().knocking`)
	var knock string
	for range 100 {
		ks, err := s.c.Knocks(ctx, r.ID, r.HostKey)
		if err != nil {
			t.Fatal(err)
		}
		if len(ks) == 1 && ks[0].Name == "Pat" {
			knock = ks[0].ID
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if knock == "" {
		t.Fatal("the host never saw Pat knock")
	}
	if _, err := s.c.AnswerKnock(ctx, r.ID, r.HostKey, knock, true); err != nil {
		t.Fatal(err)
	}
	b.waitJS("the call", `!document.querySelector('#knock-wait') && !document.querySelector('#call').hidden && window.roomsDebug.state().you`)
}
