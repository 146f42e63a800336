package call

import (
	"slices"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

// TestReleaseClosesTheCallButNotTheRoom: a released call's people are
// disconnected without being told the room ended (so their clients
// reconnect), its router is closed, the hub no longer lists it, and the
// next join starts a new call in the same room.
func TestReleaseClosesTheCallButNotTheRoom(t *testing.T) {
	e := newCallEnv(t, 0)
	r, _ := e.room(t, nil)
	_, a := e.mustJoin(t, r.ID, "Ann", "")
	_, b := e.mustJoin(t, r.ID, "Bo", "")
	types(a)
	types(b)
	if e.hub.Release(r.ID+"x", "moved") {
		t.Fatal("Release of a room with no call here says it closed one")
	}
	if !e.hub.Release(r.ID, "the call moved to another node") {
		t.Fatal("Release of a live call says there was none")
	}
	for name, conn := range map[string]*fakeConn{"Ann": a, "Bo": b} {
		if !closed(conn) {
			t.Errorf("%s's connection is still open after the release", name)
		}
		if got := types(conn); slices.Contains(got, api.MsgEnded) {
			t.Errorf("%s was told the room ended (%v): a client does not reconnect after that", name, got)
		}
	}
	if !e.media.last().isClosed() {
		t.Error("the released call's router is still open")
	}
	if live := e.hub.Live(); len(live) != 0 {
		t.Errorf("the hub still lists calls after the release: %v", live)
	}
	if e.hub.Release(r.ID, "again") {
		t.Error("a second Release closed something")
	}
	_, c := e.mustJoin(t, r.ID, "Ann", "")
	if closed(c) {
		t.Fatal("a join after the release was closed")
	}
	if made := e.media.made(); made != 2 {
		t.Errorf("the join after the release made %d routers in all, want 2 (a new call)", made)
	}
	if live := e.hub.Live(); live[r.ID] != 1 {
		t.Errorf("after the rejoin the hub lists %v, want one person in %s", live, r.ID)
	}
}
