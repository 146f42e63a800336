package call

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// These tests run calls on a real SQLite store (in a temporary directory)
// and fake media: no pion, no network.

var t0 = time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)

type callEnv struct {
	hub   *Hub
	st    store.Store
	media *fakeMedia
}

func newCallEnv(t *testing.T, grace time.Duration) *callEnv {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	media := &fakeMedia{}
	hub := NewHub(Config{Store: st, Media: media, Now: func() time.Time { return t0 }, Grace: grace, PublicURL: "https://rooms.test"})
	t.Cleanup(func() {
		hub.Close()
		st.Close()
	})
	return &callEnv{hub: hub, st: st, media: media}
}

// room stores an open room of capacity 2, changed by edit, and returns it
// with its host key.
func (e *callEnv) room(t *testing.T, edit func(*room.Room)) (room.Room, string) {
	t.Helper()
	key, hash := room.NewHostKey()
	r, err := room.New(room.NewID(), hash, room.Spec{Theme: "classic", Capacity: 2}, room.Limits{MaxCapacity: 50, MaxScreenShares: 10}, t0.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&r)
	}
	if err := e.st.CreateRoom(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r, key
}

// join joins name (its key is "key-"+name) to roomID.
func (e *callEnv) join(t *testing.T, roomID, name, hostKey string) (*Session, *fakeConn, error) {
	t.Helper()
	conn := newFakeConn()
	s, err := e.hub.Join(context.Background(), roomID, Joiner{Name: name, PublicKey: "key-" + name, HostKey: hostKey, Addr: "10.0.0.1"}, conn)
	return s, conn, err
}

func (e *callEnv) mustJoin(t *testing.T, roomID, name, hostKey string) (*Session, *fakeConn) {
	t.Helper()
	s, conn, err := e.join(t, roomID, name, hostKey)
	if err != nil {
		t.Fatalf("%s joining: %v", name, err)
	}
	return s, conn
}

// types drains what conn was sent so far: calls send synchronously, so
// after a Join or a Leave returns, everything it sent is there.
func types(conn *fakeConn) []api.MessageType {
	var out []api.MessageType
	for {
		select {
		case m := <-conn.msgs:
			out = append(out, m.Type)
		default:
			return out
		}
	}
}

// waitClosed waits until conn is closed; the deadline only guards
// against a hang.
func waitClosed(t *testing.T, conn *fakeConn) {
	t.Helper()
	select {
	case <-conn.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection was never closed")
	}
}

func closed(conn *fakeConn) bool {
	select {
	case <-conn.closed:
		return true
	default:
		return false
	}
}

// TestAdmission is room.Admit's order as a joiner meets it: ended, not
// open yet, banned, locked unless host or returning, full. Every case
// that is refused by a later rule also breaks the earlier ones it passes,
// so the order shows; a refused joiner leaves no call and no router.
func TestAdmission(t *testing.T) {
	ended := func(r *room.Room) { r.State, r.EndedAt = room.Ended, t0.Add(-time.Minute) }
	timeUp := func(r *room.Room) { r.StartsAt, r.Duration = t0.Add(-time.Hour), time.Hour }
	booked := func(r *room.Room) { r.State, r.StartsAt = room.Scheduled, t0.Add(time.Hour) }
	locked := func(r *room.Room) { r.Locked = true }
	tests := []struct {
		name   string
		room   []func(*room.Room)
		banned bool
		member bool // has been in the call before
		host   bool
		inCall int // people already in (members, so a lock lets them in)
		want   error
	}{
		{name: "an open room", want: nil},
		{name: "ended, whoever asks", room: []func(*room.Room){ended, locked}, banned: true, host: true, want: room.ErrEnded},
		{name: "its time ran out", room: []func(*room.Room){timeUp}, want: room.ErrEnded},
		{name: "not open yet, whoever asks", room: []func(*room.Room){booked, locked}, banned: true, host: true, want: &room.NotOpenYetError{}},
		{name: "banned, host key or not", room: []func(*room.Room){locked}, banned: true, host: true, want: room.ErrBanned},
		{name: "banned before full", banned: true, inCall: 2, want: room.ErrBanned},
		{name: "locked to a newcomer", room: []func(*room.Room){locked}, want: room.ErrLocked},
		{name: "locked before full", room: []func(*room.Room){locked}, inCall: 2, want: room.ErrLocked},
		{name: "locked lets the host in", room: []func(*room.Room){locked}, host: true, want: nil},
		{name: "locked lets a returning key in", room: []func(*room.Room){locked}, member: true, want: nil},
		{name: "full to a newcomer", inCall: 2, want: room.ErrFull},
		{name: "full to the host too", inCall: 2, host: true, want: room.ErrFull},
		{name: "full to a returning key in a locked room", room: []func(*room.Room){locked}, member: true, inCall: 2, want: room.ErrFull},
		{name: "one place left", inCall: 1, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCallEnv(t, time.Minute)
			ctx := context.Background()
			r, hostKey := e.room(t, func(r *room.Room) {
				for _, edit := range tt.room {
					edit(r)
				}
			})
			for _, name := range []string{"ann", "bo"}[:tt.inCall] {
				if err := e.st.AddMember(ctx, r.ID, "key-"+name); err != nil {
					t.Fatal(err)
				}
				e.mustJoin(t, r.ID, name, "")
			}
			if tt.banned {
				if err := e.st.Ban(ctx, r.ID, "key-cy", "cy"); err != nil {
					t.Fatal(err)
				}
			}
			if tt.member {
				if err := e.st.AddMember(ctx, r.ID, "key-cy"); err != nil {
					t.Fatal(err)
				}
			}
			key := ""
			if tt.host {
				key = hostKey
			}
			s, conn, err := e.join(t, r.ID, "cy", key)

			if tt.want == nil {
				if err != nil {
					t.Fatalf("cy was refused: %v", err)
				}
				if got := types(conn); len(got) == 0 || got[0] != api.MsgJoined {
					t.Fatalf("cy was sent %v, want joined first", got)
				}
				if s.Host() != tt.host || e.hub.Count(r.ID) != tt.inCall+1 {
					t.Fatalf("host %v, %d in the call; want host %v and %d", s.Host(), e.hub.Count(r.ID), tt.host, tt.inCall+1)
				}
				if ids := e.media.last().peerIDs(); !slices.Contains(ids, s.ID()) {
					t.Fatalf("the router has peers %v, not cy's %s", ids, s.ID())
				}
				// Once in, a key is a member: a lock will not keep it out.
				if in, err := e.st.IsMember(ctx, r.ID, "key-cy"); err != nil || !in {
					t.Fatalf("cy is not recorded as a member (%v)", err)
				}
				return
			}
			var nyo *room.NotOpenYetError
			if _, wantNYO := tt.want.(*room.NotOpenYetError); wantNYO {
				if !errors.As(err, &nyo) || !nyo.At.Equal(r.StartsAt) {
					t.Fatalf("cy joining: %v, want not open yet until %s", err, r.StartsAt)
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("cy joining: %v, want %v", err, tt.want)
			}
			if s != nil || len(types(conn)) != 0 || closed(conn) {
				t.Fatal("a refused joiner got a session or messages, or its connection was closed by the call")
			}
			if e.hub.Count(r.ID) != tt.inCall {
				t.Fatalf("%d in the call after a refusal, want %d", e.hub.Count(r.ID), tt.inCall)
			}
			if tt.inCall == 0 && (e.hub.lookup(r.ID) != nil || e.media.open() != 0) {
				t.Fatal("a refused join left a call or its router behind")
			}
			if in, _ := e.st.IsMember(ctx, r.ID, "key-cy"); in && !tt.member {
				t.Fatal("a refused key was recorded as a member")
			}
		})
	}
}

// TestRejoinBySameKey: the same key joining again (a dropped connection
// coming back, or a second device) keeps its participant id and its mute,
// replaces the old session and its media, and the others see nobody
// leave or arrive.
func TestRejoinBySameKey(t *testing.T) {
	e := newCallEnv(t, time.Minute)
	r, _ := e.room(t, nil)
	ann, annConn := e.mustJoin(t, r.ID, "ann", "")
	_, boConn := e.mustJoin(t, r.ID, "bo", "")
	msg, _ := api.Encode(api.MsgMute, api.Mute{Kind: api.KindAudio, Muted: true})
	if err := ann.Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	types(annConn)
	types(boConn)

	again, againConn := e.mustJoin(t, r.ID, "ann", "")
	if again.ID() != ann.ID() {
		t.Fatalf("rejoined as %s, was %s", again.ID(), ann.ID())
	}
	var joined api.Joined
	againConn.expect(t, api.MsgJoined, &joined)
	if joined.You.ID != ann.ID() || !joined.You.Muted.Audio || len(joined.Participants) != 1 || joined.Participants[0].Name != "bo" {
		t.Fatalf("joined %+v: want ann's id, still muted, bo in the call", joined)
	}
	if joined.Room.Link != "https://rooms.test/r/"+r.ID || joined.Room.Participants != 2 {
		t.Fatalf("joined's room %+v: want its link and 2 people", joined.Room)
	}
	// The old connection is told not to reconnect, and closed.
	var se api.SignalError
	annConn.expect(t, api.MsgError, &se)
	if se.Code != api.CodeReplaced || !se.Fatal || !closed(annConn) {
		t.Fatalf("the old connection got %+v, closed %v; want a fatal replaced", se, closed(annConn))
	}
	// Its media went before the new connection's came.
	id := ann.ID()
	if got := e.media.last().calls(); !slices.Equal(got[len(got)-2:], []string{"remove " + id, "add " + id}) {
		t.Fatalf("router calls %v, want the old peer removed, then the new one added", got)
	}
	if got := types(boConn); len(got) != 0 {
		t.Fatalf("bo saw %v for ann's rejoin, want nothing", got)
	}
	// The old session's transport ending later leaves the new one be.
	ann.Disconnected()
	ann.Leave("disconnected")
	if e.hub.Count(r.ID) != 2 || !slices.Contains(e.media.last().peerIDs(), id) {
		t.Fatalf("the old session's end took ann out: %d in the call, peers %v", e.hub.Count(r.ID), e.media.last().peerIDs())
	}
	if got := types(boConn); len(got) != 0 {
		t.Fatalf("bo saw %v when the old session ended, want nothing", got)
	}
}

// TestGracePeriod: a dropped participant keeps its place until the grace
// period ends; back in time, nobody sees it go; not back, everyone is
// told it left, and the last one out ends the call and its router.
func TestGracePeriod(t *testing.T) {
	t.Run("back within the grace period", func(t *testing.T) {
		e := newCallEnv(t, time.Hour)
		r, _ := e.room(t, nil)
		ann, _ := e.mustJoin(t, r.ID, "ann", "")
		_, boConn := e.mustJoin(t, r.ID, "bo", "")
		types(boConn)
		ann.Disconnected()
		if e.hub.Count(r.ID) != 2 {
			t.Fatalf("%d in the call while ann's grace runs, want 2", e.hub.Count(r.ID))
		}
		again, _ := e.mustJoin(t, r.ID, "ann", "")
		if again.ID() != ann.ID() {
			t.Fatalf("back as %s, was %s", again.ID(), ann.ID())
		}
		if got := types(boConn); len(got) != 0 {
			t.Fatalf("bo saw %v, want nothing", got)
		}
	})
	t.Run("not back", func(t *testing.T) {
		e := newCallEnv(t, time.Millisecond)
		r, _ := e.room(t, nil)
		ann, annConn := e.mustJoin(t, r.ID, "ann", "")
		_, boConn := e.mustJoin(t, r.ID, "bo", "")
		ann.Disconnected()
		var left api.ParticipantLeft
		boConn.expect(t, api.MsgParticipantLeft, &left)
		if left.ID != ann.ID() || left.Reason != "disconnected" {
			t.Fatalf("participant_left %+v, want ann disconnected", left)
		}
		waitClosed(t, annConn) // Leave closes it after the call let go
		if e.hub.Count(r.ID) != 1 || slices.Contains(e.media.last().peerIDs(), ann.ID()) {
			t.Fatalf("%d in the call, peers %v: ann is still there", e.hub.Count(r.ID), e.media.last().peerIDs())
		}
	})
	t.Run("the last one not back ends the call", func(t *testing.T) {
		e := newCallEnv(t, time.Millisecond)
		r, _ := e.room(t, nil)
		ann, annConn := e.mustJoin(t, r.ID, "ann", "")
		ann.Disconnected()
		waitClosed(t, annConn)
		if e.hub.lookup(r.ID) != nil || e.media.open() != 0 {
			t.Fatal("an empty call or its router is left behind")
		}
		if got := e.media.last().calls(); !slices.Equal(got, []string{"add " + ann.ID(), "remove " + ann.ID(), "close"}) {
			t.Fatalf("router calls %v", got)
		}
		// The next joiner starts a new call with a new router.
		e.mustJoin(t, r.ID, "bo", "")
		if e.media.made() != 2 || e.media.open() != 1 {
			t.Fatalf("%d routers made, %d open; want a second one, open", e.media.made(), e.media.open())
		}
	})
}

// TestMediaFailureRefusesTheJoin: when the router cannot add the peer,
// the joiner is refused and leaves nothing behind.
func TestMediaFailureRefusesTheJoin(t *testing.T) {
	e := newCallEnv(t, time.Minute)
	e.media.failAdd = errors.New("no PeerConnection today")
	r, _ := e.room(t, nil)
	if _, _, err := e.join(t, r.ID, "ann", ""); err == nil || !errors.Is(err, e.media.failAdd) {
		t.Fatalf("join with failing media: %v", err)
	}
	if e.hub.Count(r.ID) != 0 || e.hub.lookup(r.ID) != nil || e.media.open() != 0 {
		t.Fatal("a join whose media failed left a participant, a call or a router behind")
	}
}

// TestMessagesReachThePeer: a participant's media messages go to its
// peer; a refusal the peer returns goes back as an error with its code,
// and a fatal one closes the connection.
func TestMessagesReachThePeer(t *testing.T) {
	e := newCallEnv(t, time.Minute)
	r, _ := e.room(t, nil)
	ann, conn := e.mustJoin(t, r.ID, "ann", "")
	types(conn)
	peer := e.media.last().peer(ann.ID())
	handle := func(typ api.MessageType, v any) error {
		msg, err := api.Encode(typ, v)
		if err != nil {
			t.Fatal(err)
		}
		return ann.Handle(context.Background(), msg)
	}
	if err := handle(api.MsgOffer, api.SDP{PC: api.PCPublish, SDP: "v=0"}); err != nil {
		t.Fatal(err)
	}
	if err := handle(api.MsgView, api.View{Hidden: []string{"t1"}, Sizes: map[string]api.Size{"t2": {W: 320, H: 180}}}); err != nil {
		t.Fatal(err)
	}
	hidden, sizes := peer.view()
	if peer.offerCount() != 1 || !slices.Equal(hidden, []string{"t1"}) || sizes["t2"].W != 320 {
		t.Fatalf("the peer saw %d offers, view %v %v", peer.offerCount(), hidden, sizes)
	}
	// A view past the bound is refused before the peer sees it.
	big := api.View{Hidden: make([]string, api.MaxViewTracks+1)}
	if err := handle(api.MsgView, big); err != nil {
		t.Fatal(err)
	}
	var se api.SignalError
	conn.expect(t, api.MsgError, &se)
	if se.Code != api.CodeTooLarge {
		t.Fatalf("a view too large: %+v", se)
	}
	if hidden, _ := peer.view(); len(hidden) != 1 {
		t.Fatal("the peer was given a view past the bound")
	}
	peer.refuse = &sfu.Refusal{Code: api.CodeTooLarge, Msg: "that offer costs too much", Fatal: true}
	if err := handle(api.MsgOffer, api.SDP{PC: api.PCPublish, SDP: "v=0"}); err != nil {
		t.Fatalf("a refused offer is reported to the client, not the transport: %v", err)
	}
	conn.expect(t, api.MsgError, &se)
	if se.Code != api.CodeTooLarge || !se.Fatal || !closed(conn) {
		t.Fatalf("a fatal refusal: %+v, closed %v", se, closed(conn))
	}
}
