package call

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

// fakeConn is a signalling transport that keeps what is sent to it.
type fakeConn struct {
	msgs   chan api.Message
	once   sync.Once
	closed chan struct{}
}

func newFakeConn() *fakeConn {
	return &fakeConn{msgs: make(chan api.Message, 1024), closed: make(chan struct{})}
}

func (f *fakeConn) Send(m api.Message) bool {
	select {
	case f.msgs <- m:
		return true
	default:
		return false
	}
}

func (f *fakeConn) Close(string) { f.once.Do(func() { close(f.closed) }) }

// expect reads messages until one of type t (others, such as the media
// offers, are skipped). The deadline only guards against a hang.
func (f *fakeConn) expect(t *testing.T, typ api.MessageType, v any) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-f.msgs:
			if m.Type != typ {
				continue
			}
			if v != nil {
				if err := json.Unmarshal(m.Data, v); err != nil {
					t.Fatal(err)
				}
			}
			return
		case <-deadline:
			t.Fatalf("no %s message", typ)
		}
	}
}

type knockEnv struct {
	hub     *Hub
	st      store.Store
	roomID  string
	hostKey string
}

// newKnockEnv makes a hub on a real store and fake media (no network)
// with one locked room.
func newKnockEnv(t testing.TB, wait time.Duration) *knockEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(Config{Store: st, Media: &fakeMedia{}, KnockWait: wait})
	t.Cleanup(func() {
		hub.Close()
		st.Close()
	})
	key, hash := room.NewHostKey()
	r, err := room.New(room.NewID(), hash, room.Spec{Theme: "classic"}, room.Limits{MaxCapacity: 50, MaxScreenShares: 10}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.Locked = true
	if err := st.CreateRoom(ctx, r); err != nil {
		t.Fatal(err)
	}
	return &knockEnv{hub: hub, st: st, roomID: r.ID, hostKey: key}
}

var keyN struct {
	sync.Mutex
	n int
}

func newcomer(name, addr string) Joiner {
	keyN.Lock()
	keyN.n++
	n := keyN.n
	keyN.Unlock()
	return Joiner{Name: name, PublicKey: fmt.Sprintf("key-%d", n), Knock: true, Addr: addr}
}

func (e *knockEnv) host(t *testing.T) (*Session, *fakeConn) {
	t.Helper()
	conn := newFakeConn()
	s, err := e.hub.Join(context.Background(), e.roomID, Joiner{Name: "host", PublicKey: "host-key", HostKey: e.hostKey}, conn)
	if err != nil {
		t.Fatal(err)
	}
	return s, conn
}

type joinResult struct {
	s   *Session
	err error
}

// knock starts j's join in the background and waits until it knocks.
func (e *knockEnv) knock(t *testing.T, ctx context.Context, j Joiner) (*fakeConn, api.Knocking, <-chan joinResult) {
	t.Helper()
	conn := newFakeConn()
	done := make(chan joinResult, 1)
	go func() {
		s, err := e.hub.Join(ctx, e.roomID, j, conn)
		done <- joinResult{s, err}
	}()
	var k api.Knocking
	conn.expect(t, api.MsgKnocking, &k)
	return conn, k, done
}

func TestKnockAdmitted(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, hostConn := e.host(t)
	ann := newcomer("ann", "10.0.0.1")
	annConn, k, done := e.knock(t, context.Background(), ann)

	var seen api.Knock
	hostConn.expect(t, api.MsgKnock, &seen)
	if seen.ID != k.ID || seen.Name != "ann" {
		t.Fatalf("host saw %+v, want ann's knock %s", seen, k.ID)
	}
	if got := e.hub.Knocks(e.roomID); len(got) != 1 || got[0].ID != k.ID {
		t.Fatalf("Knocks = %+v", got)
	}
	if _, err := e.hub.AnswerKnock(context.Background(), e.roomID, "ann", true); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("admitted knocker: %v", r.err)
	}
	annConn.expect(t, api.MsgJoined, nil)
	var ended api.KnockEnded
	hostConn.expect(t, api.MsgKnockEnded, &ended)
	if ended.ID != k.ID || ended.Reason != api.KnockAdmitted {
		t.Fatalf("knock_ended %+v", ended)
	}
	if e.hub.Count(e.roomID) != 2 || len(e.hub.Knocks(e.roomID)) != 0 {
		t.Fatalf("%d in the call, %d knocking; want 2 and 0", e.hub.Count(e.roomID), len(e.hub.Knocks(e.roomID)))
	}
	// Admitted is a member: a reconnect later passes the lock unasked.
	r.s.Leave("left")
	ann.Knock = false
	if _, err := e.hub.Join(context.Background(), e.roomID, ann, newFakeConn()); err != nil {
		t.Fatalf("an admitted knocker coming back: %v", err)
	}
}

func TestLockedWithoutKnockIsRefused(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	j := newcomer("bo", "10.0.0.1")
	j.Knock = false
	if _, err := e.hub.Join(context.Background(), e.roomID, j, newFakeConn()); !errors.Is(err, room.ErrLocked) {
		t.Fatalf("join of a locked room without knocking: %v, want locked", err)
	}
	if e.hub.lookup(e.roomID) != nil {
		t.Fatal("a refused join left an empty call behind")
	}
}

func TestKnockDeclinedCannotKnockAgain(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, hostConn := e.host(t)
	bo := newcomer("bo", "10.0.0.2")
	_, k, done := e.knock(t, context.Background(), bo)
	hostConn.expect(t, api.MsgKnock, nil)
	if _, err := e.hub.AnswerKnock(context.Background(), e.roomID, k.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := <-done; !errors.Is(r.err, ErrKnockDeclined) {
		t.Fatalf("declined knocker: %v", r.err)
	}
	if code, _ := Code(ErrKnockDeclined); code != api.CodeKnockDeclined {
		t.Fatalf("code %s", code)
	}
	var ended api.KnockEnded
	hostConn.expect(t, api.MsgKnockEnded, &ended)
	if ended.Reason != api.KnockDeclined {
		t.Fatalf("knock_ended %+v", ended)
	}
	// Knocking again (another connection, even from another address) is
	// refused at once: no knock reaches the host.
	bo.Addr = "10.9.9.9"
	if _, err := e.hub.Join(context.Background(), e.roomID, bo, newFakeConn()); !errors.Is(err, ErrKnockDeclined) {
		t.Fatalf("knocking again after a decline: %v", err)
	}
	if n := len(e.hub.Knocks(e.roomID)); n != 0 {
		t.Fatalf("%d knocks waiting after a declined key knocked again", n)
	}
	// A decline is not a ban: once the room is unlocked, bo may join.
	unlocked, err := e.st.UpdateRoom(context.Background(), e.roomID, func(r *room.Room) error { r.Locked = false; return nil })
	if err != nil {
		t.Fatal(err)
	}
	e.hub.RoomChanged(unlocked)
	if _, err := e.hub.Join(context.Background(), e.roomID, bo, newFakeConn()); err != nil {
		t.Fatalf("a declined key in the unlocked room: %v", err)
	}
}

func TestRemovedKeyCannotKnock(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, hostConn := e.host(t)
	cy := newcomer("cy", "10.0.0.3")
	if err := e.st.Ban(context.Background(), e.roomID, cy.PublicKey, cy.Name); err != nil {
		t.Fatal(err)
	}
	if _, err := e.hub.Join(context.Background(), e.roomID, cy, newFakeConn()); !errors.Is(err, room.ErrBanned) {
		t.Fatalf("a removed key knocking: %v, want banned", err)
	}
	if n := len(e.hub.Knocks(e.roomID)); n != 0 {
		t.Fatalf("a removed key's knock is waiting (%d)", n)
	}
	select {
	case m := <-hostConn.msgs:
		if m.Type == api.MsgKnock {
			t.Fatal("the host was shown a removed key's knock")
		}
	default:
	}
}

func TestKnocksWaitingAreBounded(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	var dones []<-chan joinResult
	for i := range api.MaxKnocksWaiting {
		_, _, done := e.knock(t, ctx, newcomer(fmt.Sprintf("p%d", i), fmt.Sprintf("10.1.0.%d", i)))
		dones = append(dones, done)
	}
	_, err := e.hub.Join(context.Background(), e.roomID, newcomer("one too many", "10.2.0.1"), newFakeConn())
	if !errors.Is(err, ErrKnocksFull) {
		t.Fatalf("knock %d: %v, want the door full", api.MaxKnocksWaiting+1, err)
	}
	if code, _ := Code(err); code != api.CodeRateLimited {
		t.Fatalf("code %s", code)
	}
	cancel()
	for _, d := range dones {
		<-d
	}
	if n := len(e.hub.Knocks(e.roomID)); n != 0 {
		t.Fatalf("%d knocks left after their knockers went", n)
	}
}

func TestKnocksRateLimitedPerAddress(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range api.KnockBurst {
		e.knock(t, ctx, newcomer(fmt.Sprintf("fresh key %d", i), "10.3.0.1"))
	}
	_, err := e.hub.Join(context.Background(), e.roomID, newcomer("yet another key", "10.3.0.1"), newFakeConn())
	if !errors.Is(err, ErrKnockRateLimited) {
		t.Fatalf("knock %d from one address: %v, want rate limited", api.KnockBurst+1, err)
	}
	// Another address still may.
	e.knock(t, ctx, newcomer("elsewhere", "10.3.0.2"))
}

func TestKnockTimesOut(t *testing.T) {
	e := newKnockEnv(t, 50*time.Millisecond)
	_, hostConn := e.host(t)
	_, k, done := e.knock(t, context.Background(), newcomer("dee", "10.4.0.1"))
	r := <-done
	if !errors.Is(r.err, ErrKnockTimeout) {
		t.Fatalf("unanswered knock: %v, want timeout", r.err)
	}
	if code, _ := Code(r.err); code != api.CodeKnockTimeout {
		t.Fatalf("code %s", code)
	}
	var ended api.KnockEnded
	hostConn.expect(t, api.MsgKnockEnded, &ended)
	if ended.ID != k.ID || ended.Reason != api.KnockTimedOut {
		t.Fatalf("knock_ended %+v", ended)
	}
	if _, err := e.hub.AnswerKnock(context.Background(), e.roomID, k.ID, true); !errors.Is(err, ErrNoSuchKnock) {
		t.Fatalf("admitting a knock that timed out: %v", err)
	}
}

func TestKnockerLeaves(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, hostConn := e.host(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, k, done := e.knock(t, ctx, newcomer("eve", "10.5.0.1"))
	hostConn.expect(t, api.MsgKnock, nil)
	cancel()
	if r := <-done; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("a knocker that went away: %v", r.err)
	}
	var ended api.KnockEnded
	hostConn.expect(t, api.MsgKnockEnded, &ended)
	if ended.ID != k.ID || ended.Reason != api.KnockLeft {
		t.Fatalf("knock_ended %+v", ended)
	}
	if n := len(e.hub.Knocks(e.roomID)); n != 0 {
		t.Fatalf("%d knocks listed after the knocker left", n)
	}
}

func TestKnockOneEntryPerKey(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, hostConn := e.host(t)
	fay := newcomer("fay", "10.6.0.1")
	_, k1, first := e.knock(t, context.Background(), fay)
	hostConn.expect(t, api.MsgKnock, nil)
	_, k2, second := e.knock(t, context.Background(), fay)
	if k1.ID != k2.ID {
		t.Fatalf("a second knock of one key got a new id (%s, %s)", k1.ID, k2.ID)
	}
	if r := <-first; !errors.Is(r.err, errKnockReplaced) {
		t.Fatalf("the first knock of a key knocking again: %v", r.err)
	}
	if n := len(e.hub.Knocks(e.roomID)); n != 1 {
		t.Fatalf("%d knocks listed for one key", n)
	}
	if _, err := e.hub.AnswerKnock(context.Background(), e.roomID, k2.ID, true); err != nil {
		t.Fatal(err)
	}
	if r := <-second; r.err != nil {
		t.Fatal(r.err)
	}
}

func TestHostSeesKnocksOnJoiningAndAnswersInCall(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, k, done := e.knock(t, context.Background(), newcomer("gus", "10.7.0.1"))
	host, hostConn := e.host(t)
	var seen api.Knock
	hostConn.expect(t, api.MsgKnock, &seen)
	if seen.ID != k.ID {
		t.Fatalf("a host joining saw %+v, want %s", seen, k.ID)
	}
	msg, _ := api.Encode(api.MsgHost, api.HostAction{Action: "admit", KnockID: k.ID})
	if err := host.Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil {
		t.Fatalf("admitted in the call: %v", r.err)
	}
}

func TestGuestCannotAnswerKnocks(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, hostConn := e.host(t)
	_, k, _ := e.knock(t, context.Background(), newcomer("hal", "10.8.0.1"))
	hostConn.expect(t, api.MsgKnock, nil)
	// A guest let in earlier (a member) tries to admit.
	guest := newcomer("guest", "10.8.0.2")
	guest.Knock = false
	if err := e.st.AddMember(context.Background(), e.roomID, guest.PublicKey); err != nil {
		t.Fatal(err)
	}
	gconn := newFakeConn()
	g, err := e.hub.Join(context.Background(), e.roomID, guest, gconn)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := api.Encode(api.MsgHost, api.HostAction{Action: "admit", KnockID: k.ID})
	_ = g.Handle(context.Background(), msg)
	var se api.SignalError
	gconn.expect(t, api.MsgError, &se)
	if se.Code != api.CodeForbidden {
		t.Fatalf("a guest admitting: %+v", se)
	}
	if n := len(e.hub.Knocks(e.roomID)); n != 1 {
		t.Fatalf("the knock is gone after a guest's admit (%d waiting)", n)
	}
}

func TestUnlockLetsKnockersIn(t *testing.T) {
	e := newKnockEnv(t, time.Minute)
	_, _, done := e.knock(t, context.Background(), newcomer("ida", "10.9.0.1"))
	unlocked, err := e.st.UpdateRoom(context.Background(), e.roomID, func(r *room.Room) error { r.Locked = false; return nil })
	if err != nil {
		t.Fatal(err)
	}
	e.hub.RoomChanged(unlocked)
	if r := <-done; r.err != nil {
		t.Fatalf("a knocker when the room is unlocked: %v", r.err)
	}
}

// BenchmarkRefusedKnock is the cost of one knock refused by the
// per-address limit: what a flood from one address costs the server.
func BenchmarkRefusedKnock(b *testing.B) {
	e := newKnockEnv(b, time.Minute)
	ctx := context.Background()
	for range api.KnockBurst {
		j := newcomer("warm", "10.10.0.1")
		cctx, cancel := context.WithCancel(ctx)
		go func() { _, _ = e.hub.Join(cctx, e.roomID, j, newFakeConn()) }()
		defer cancel()
	}
	for len(e.hub.Knocks(e.roomID)) < api.KnockBurst {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.hub.Join(ctx, e.roomID, newcomer("flood", "10.10.0.1"), newFakeConn()); !errors.Is(err, ErrKnockRateLimited) {
			b.Fatalf("knock %d: %v", i, err)
		}
	}
}
