// Package storetest is the conformance suite every store.Store must pass, so
// the embedded SQLite store and a shared one behave the same to the server.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// Stores must keep times to at least the microsecond (PostgreSQL's
// resolution), so every fixture time here is whole microseconds.
var base = time.Date(2030, 1, 2, 3, 4, 5, 678901000, time.UTC)

// Run checks the Store behaviour the server relies on. open is called once
// per subtest and must return a new, empty store; Run closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CreateGetRoundTrip", testRoundTrip},
		{"CreateStampsZeroTimes", testCreateStamps},
		{"CreateDuplicate", testCreateDuplicate},
		{"GetMissing", testGetMissing},
		{"UpdatePersists", testUpdatePersists},
		{"UpdateFnErrorRollsBack", testUpdateRollback},
		{"UpdateMissing", testUpdateMissing},
		{"UpdateConcurrent", testUpdateConcurrent},
		{"ScreenSharesRoundTripAndSurviveUpdates", testScreenShares},
		{"ListFilters", testListFilters},
		{"ListLimits", testListLimits},
		{"Count", testCount},
		{"ListLiveAt", testListLiveAt},
		{"Bans", testBans},
		{"Members", testMembers},
		{"NoncesAreGoodOnce", testNonces},
		{"PingAndCloseTwice", testPingClose},
	}
	tests = append(tests, schedulingTests...)
	tests = append(tests, togetherTests...)
	tests = append(tests, retentionTests...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// sample is a room with every field set to something other than its zero.
func sample(id string) room.Room {
	return room.Room{
		ID:          id,
		Name:        "Standup " + id,
		Theme:       "forest",
		Visibility:  room.Public,
		Locked:      true,
		Capacity:    12,
		State:       room.Scheduled,
		StartsAt:    base.Add(time.Hour),
		TimeZone:    "Asia/Kolkata",
		Duration:    90 * time.Minute,
		Remind:      15 * time.Minute,
		HostKeyHash: []byte{0x00, 0x01, 0xfe, 0xff, 0x7f},
		CreatedAt:   base.Add(-time.Hour),
		UpdatedAt:   base.Add(-time.Minute),
		EndedAt:     base.Add(3 * time.Hour),
		// A room's own cap on screens shared at once (0: the server's).
		MaxScreenShares: 3,
	}
}

func mustCreate(t *testing.T, s store.Store, r room.Room) {
	t.Helper()
	if err := s.CreateRoom(t.Context(), r); err != nil {
		t.Fatalf("CreateRoom(%q): %v", r.ID, err)
	}
}

func mustGet(t *testing.T, s store.Store, id string) room.Room {
	t.Helper()
	r, err := s.GetRoom(t.Context(), id)
	if err != nil {
		t.Fatalf("GetRoom(%q): %v", id, err)
	}
	return r
}

// diff lists the fields where got differs from want. Times compare as
// instants and must come back in UTC; a nil and an empty hash are the same.
func diff(want, got room.Room) []string {
	var d []string
	field := func(name string, w, g any) {
		if w != g {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	field("ID", want.ID, got.ID)
	field("Name", want.Name, got.Name)
	field("Theme", want.Theme, got.Theme)
	field("Visibility", want.Visibility, got.Visibility)
	field("Locked", want.Locked, got.Locked)
	field("Capacity", want.Capacity, got.Capacity)
	field("MaxScreenShares", want.MaxScreenShares, got.MaxScreenShares)
	field("State", want.State, got.State)
	field("TimeZone", want.TimeZone, got.TimeZone)
	field("Duration", want.Duration, got.Duration)
	field("Remind", want.Remind, got.Remind)
	if !bytes.Equal(want.HostKeyHash, got.HostKeyHash) {
		d = append(d, fmt.Sprintf("HostKeyHash: got %x, want %x", got.HostKeyHash, want.HostKeyHash))
	}
	for _, tt := range []struct {
		name      string
		want, got time.Time
	}{
		{"StartsAt", want.StartsAt, got.StartsAt},
		{"CreatedAt", want.CreatedAt, got.CreatedAt},
		{"UpdatedAt", want.UpdatedAt, got.UpdatedAt},
		{"EndedAt", want.EndedAt, got.EndedAt},
	} {
		switch {
		case tt.want.IsZero() && !tt.got.IsZero():
			d = append(d, fmt.Sprintf("%s: got %v, want the zero time", tt.name, tt.got))
		case !tt.want.Equal(tt.got):
			d = append(d, fmt.Sprintf("%s: got %v, want %v", tt.name, tt.got, tt.want))
		case !tt.got.IsZero() && tt.got.Location() != time.UTC:
			d = append(d, fmt.Sprintf("%s: got location %v, want UTC", tt.name, tt.got.Location()))
		}
	}
	return d
}

func checkRoom(t *testing.T, what string, want, got room.Room) {
	t.Helper()
	for _, d := range diff(want, got) {
		t.Errorf("%s: %s", what, d)
	}
}

func testRoundTrip(t *testing.T, s store.Store) {
	kolkata := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		name string
		in   room.Room
		want room.Room // zero means same as in
	}{
		{name: "every field set", in: sample("all")},
		{name: "zero EndedAt, Duration and hash", in: func() room.Room {
			r := sample("zeros")
			r.EndedAt, r.Duration, r.HostKeyHash = time.Time{}, 0, nil
			r.Locked, r.Visibility, r.State, r.Capacity, r.MaxScreenShares = false, room.Private, room.Open, 0, 0
			r.Theme, r.TimeZone = "", ""
			return r
		}()},
		{name: "empty hash reads back as no hash", in: func() room.Room {
			r := sample("emptyhash")
			r.HostKeyHash = []byte{}
			return r
		}()},
		{name: "non-UTC times come back in UTC", in: func() room.Room {
			r := sample("ist")
			r.StartsAt = r.StartsAt.In(kolkata)
			r.CreatedAt = r.CreatedAt.In(kolkata)
			r.UpdatedAt = r.UpdatedAt.In(kolkata)
			r.EndedAt = r.EndedAt.In(kolkata)
			return r
		}(), want: sample("ist")},
		{name: "unicode name", in: func() room.Room {
			r := sample("uni")
			r.Name = "Café ☕ — 会议室 'quoted' \"double\""
			return r
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want.ID == "" {
				want = tt.in
			}
			mustCreate(t, s, tt.in)
			checkRoom(t, "GetRoom", want, mustGet(t, s, tt.in.ID))
		})
	}
}

func testCreateStamps(t *testing.T, s store.Store) {
	r := sample("stamp")
	r.CreatedAt, r.UpdatedAt = time.Time{}, time.Time{}
	before := time.Now()
	mustCreate(t, s, r)
	after := time.Now()
	got := mustGet(t, s, "stamp")
	for name, ts := range map[string]time.Time{"CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
		if !near(ts, before, after) {
			t.Errorf("%s = %v, want the time of CreateRoom (%v..%v)", name, ts, before, after)
		}
	}
}

// near reports whether ts falls in [before, after], give or take a second
// for a store whose clock is not this process's (a database server).
func near(ts, before, after time.Time) bool {
	return !ts.Before(before.Add(-time.Second)) && !ts.After(after.Add(time.Second))
}

func testCreateDuplicate(t *testing.T, s store.Store) {
	first := sample("dup")
	mustCreate(t, s, first)
	second := sample("dup")
	second.Name = "impostor"
	err := s.CreateRoom(t.Context(), second)
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("second CreateRoom: got %v, want ErrExists", err)
	}
	checkRoom(t, "after duplicate", first, mustGet(t, s, "dup"))
}

func testGetMissing(t *testing.T, s store.Store) {
	_, err := s.GetRoom(t.Context(), "nope")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetRoom(missing): got %v, want ErrNotFound", err)
	}
}

func testUpdatePersists(t *testing.T, s store.Store) {
	orig := sample("upd")
	mustCreate(t, s, orig)
	before := time.Now()
	got, err := s.UpdateRoom(t.Context(), "upd", func(r *room.Room) error {
		checkRoom(t, "fn sees", orig, *r)
		r.Name = "renamed"
		r.Locked = false
		r.Capacity = 99
		r.State = room.Ended
		r.EndedAt = base.Add(5 * time.Hour)
		r.HostKeyHash = []byte{9, 9}
		return nil
	})
	after := time.Now()
	if err != nil {
		t.Fatalf("UpdateRoom: %v", err)
	}
	if !near(got.UpdatedAt, before, after) {
		t.Errorf("UpdatedAt = %v, want the time of UpdateRoom (%v..%v)", got.UpdatedAt, before, after)
	}
	want := orig
	want.Name, want.Locked, want.Capacity, want.State = "renamed", false, 99, room.Ended
	want.EndedAt, want.HostKeyHash, want.UpdatedAt = base.Add(5*time.Hour), []byte{9, 9}, got.UpdatedAt
	checkRoom(t, "UpdateRoom result", want, got)
	checkRoom(t, "GetRoom after update", want, mustGet(t, s, "upd"))
}

// testScreenShares checks a room's cap on screens is kept by create, by
// updates that change other fields, and by updates that change it.
func testScreenShares(t *testing.T, s store.Store) {
	in := sample("screens")
	in.MaxScreenShares = 1
	mustCreate(t, s, in)
	if got := mustGet(t, s, "screens").MaxScreenShares; got != 1 {
		t.Fatalf("after create: MaxScreenShares = %d, want 1", got)
	}
	steps := []struct {
		name string
		fn   func(*room.Room)
		want int
	}{
		{"rename", func(r *room.Room) { r.Name = "renamed" }, 1},
		{"lock", func(r *room.Room) { r.Locked = !r.Locked }, 1},
		{"raise the cap", func(r *room.Room) { r.MaxScreenShares = 7 }, 7},
		{"back to the server's cap", func(r *room.Room) { r.MaxScreenShares = 0 }, 0},
	}
	for _, st := range steps {
		got, err := s.UpdateRoom(t.Context(), "screens", func(r *room.Room) error { st.fn(r); return nil })
		if err != nil {
			t.Fatalf("%s: UpdateRoom: %v", st.name, err)
		}
		if got.MaxScreenShares != st.want {
			t.Errorf("%s: UpdateRoom returned MaxScreenShares = %d, want %d", st.name, got.MaxScreenShares, st.want)
		}
		if read := mustGet(t, s, "screens").MaxScreenShares; read != st.want {
			t.Errorf("%s: GetRoom after update: MaxScreenShares = %d, want %d", st.name, read, st.want)
		}
	}
}

func testUpdateRollback(t *testing.T, s store.Store) {
	orig := sample("rb")
	mustCreate(t, s, orig)
	boom := errors.New("boom")
	_, err := s.UpdateRoom(t.Context(), "rb", func(r *room.Room) error {
		r.Name = "should not stick"
		r.Capacity = 1
		return boom
	})
	if err != boom { // the contract is "returned as is", so not errors.Is
		t.Fatalf("UpdateRoom: got error %v, want fn's error as is", err)
	}
	checkRoom(t, "after failed update", orig, mustGet(t, s, "rb"))
}

func testUpdateMissing(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateRoom(t.Context(), "nope", func(*room.Room) error {
		called = true
		return nil
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateRoom(missing): got %v, want ErrNotFound", err)
	}
	if called {
		t.Error("UpdateRoom(missing) called fn")
	}
	if _, err := s.GetRoom(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateRoom(missing) created the room: GetRoom = %v", err)
	}
}

// testUpdateConcurrent fails if two updates read the same version and the
// second write overwrites the first (a lost update).
func testUpdateConcurrent(t *testing.T, s store.Store) {
	const workers, each = 20, 5
	r := sample("busy")
	r.Capacity = 0
	mustCreate(t, s, r)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				_, err := s.UpdateRoom(t.Context(), "busy", func(r *room.Room) error {
					r.Capacity++
					return nil
				})
				if err != nil {
					t.Errorf("UpdateRoom: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := mustGet(t, s, "busy").Capacity; got != workers*each {
		t.Errorf("Capacity after %d concurrent increments = %d", workers*each, got)
	}
}

func testListFilters(t *testing.T, s store.Store) {
	for _, r := range []struct {
		id    string
		vis   room.Visibility
		state room.State
		at    time.Duration
	}{
		{"a", room.Public, room.Open, 2 * time.Hour},
		{"c", room.Public, room.Scheduled, time.Hour}, // same start as b: id breaks the tie
		{"b", room.Private, room.Scheduled, time.Hour},
		{"d", room.Public, room.Ended, 0},
		{"e", room.Private, room.Open, 3 * time.Hour},
	} {
		x := sample(r.id)
		x.Visibility, x.State, x.StartsAt = r.vis, r.state, base.Add(r.at)
		mustCreate(t, s, x)
	}
	tests := []struct {
		name string
		f    store.ListFilter
		want []string
	}{
		{"all, by start then id", store.ListFilter{}, []string{"d", "b", "c", "a", "e"}},
		{"public", store.ListFilter{Visibility: room.Public}, []string{"d", "c", "a"}},
		{"private", store.ListFilter{Visibility: room.Private}, []string{"b", "e"}},
		{"open", store.ListFilter{States: []room.State{room.Open}}, []string{"a", "e"}},
		{"scheduled or ended", store.ListFilter{States: []room.State{room.Scheduled, room.Ended}}, []string{"d", "b", "c"}},
		{"ids, unknown ignored", store.ListFilter{IDs: []string{"e", "a", "zzz"}}, []string{"a", "e"}},
		{"public and scheduled", store.ListFilter{Visibility: room.Public, States: []room.State{room.Scheduled}}, []string{"c"}},
		{"ids and visibility", store.ListFilter{Visibility: room.Private, IDs: []string{"a", "b", "c"}}, []string{"b"}},
		{"limit", store.ListFilter{Limit: 2}, []string{"d", "b"}},
		{"limit with filter", store.ListFilter{Visibility: room.Public, Limit: 1}, []string{"d"}},
		{"no match", store.ListFilter{Visibility: room.Private, States: []room.State{room.Ended}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.ListRooms(t.Context(), tt.f)
			if err != nil {
				t.Fatalf("ListRooms: %v", err)
			}
			var got []string
			for _, r := range rs {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ListRooms(%+v) = %v, want %v", tt.f, got, tt.want)
			}
		})
	}
	rs, err := s.ListRooms(t.Context(), store.ListFilter{IDs: []string{"b"}})
	if err != nil || len(rs) != 1 {
		t.Fatalf("ListRooms(b) = %v, %v", rs, err)
	}
	want := sample("b")
	want.Visibility, want.State, want.StartsAt = room.Private, room.Scheduled, base.Add(time.Hour)
	checkRoom(t, "ListRooms returns whole rooms", want, rs[0])
}

func testListLimits(t *testing.T, s store.Store) {
	const n = 1001
	for i := range n {
		r := sample(fmt.Sprintf("r%04d", i))
		r.StartsAt = base.Add(time.Duration(i) * time.Second)
		mustCreate(t, s, r)
	}
	tests := []struct {
		limit, want int
	}{
		{0, 100},
		{1, 1},
		{1000, 1000},
		{1001, 1000},
		{1 << 30, 1000},
	}
	for _, tt := range tests {
		rs, err := s.ListRooms(t.Context(), store.ListFilter{Limit: tt.limit})
		if err != nil {
			t.Fatalf("ListRooms(Limit %d): %v", tt.limit, err)
		}
		if len(rs) != tt.want {
			t.Errorf("ListRooms(Limit %d) returned %d rooms, want %d", tt.limit, len(rs), tt.want)
		}
		if len(rs) > 0 && rs[0].ID != "r0000" {
			t.Errorf("ListRooms(Limit %d) starts at %q, want r0000", tt.limit, rs[0].ID)
		}
	}

	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%04d", i)
	}
	if rs, err := s.ListRooms(t.Context(), store.ListFilter{IDs: ids, Limit: 1000}); err != nil || len(rs) != 1000 {
		t.Errorf("ListRooms(1000 ids) = %d rooms, %v; want 1000, nil", len(rs), err)
	}
	if _, err := s.ListRooms(t.Context(), store.ListFilter{IDs: append(ids, "r1000")}); err == nil {
		t.Error("ListRooms(1001 ids) succeeded, want an error")
	}
	if _, err := s.ListRooms(t.Context(), store.ListFilter{Limit: -1}); err == nil {
		t.Error("ListRooms(Limit -1) succeeded, want an error")
	}
}

func testCount(t *testing.T, s store.Store) {
	got, err := s.CountRooms(t.Context())
	if err != nil {
		t.Fatalf("CountRooms(empty): %v", err)
	}
	for st, n := range got {
		if n != 0 {
			t.Errorf("CountRooms(empty)[%s] = %d", st, n)
		}
	}
	states := []room.State{room.Open, room.Open, room.Open, room.Scheduled, room.Ended, room.Ended}
	for i, st := range states {
		r := sample(fmt.Sprintf("c%d", i))
		r.State = st
		mustCreate(t, s, r)
	}
	got, err = s.CountRooms(t.Context())
	if err != nil {
		t.Fatalf("CountRooms: %v", err)
	}
	want := map[room.State]int{room.Open: 3, room.Scheduled: 1, room.Ended: 2}
	for st, n := range want {
		if got[st] != n {
			t.Errorf("CountRooms()[%s] = %d, want %d (all: %v)", st, got[st], n, got)
		}
	}
	for st := range got {
		if _, ok := want[st]; !ok && got[st] != 0 {
			t.Errorf("CountRooms() has unexpected state %q: %v", st, got)
		}
	}
}

func testPingClose(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func testBans(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := sample("ban-room-a"), sample("ban-room-b")
	mustCreate(t, s, a)
	mustCreate(t, s, b)
	if banned, err := s.IsBanned(ctx, a.ID, "key1"); err != nil || banned {
		t.Fatalf("IsBanned before any ban = %v, %v", banned, err)
	}
	if err := s.Ban(ctx, a.ID, "key1", "Ann"); err != nil {
		t.Fatal(err)
	}
	if err := s.Ban(ctx, a.ID, "key1", "Ann again"); err != nil {
		t.Fatalf("banning twice: %v", err)
	}
	if banned, err := s.IsBanned(ctx, a.ID, "key1"); err != nil || !banned {
		t.Fatalf("IsBanned after the ban = %v, %v", banned, err)
	}
	if banned, _ := s.IsBanned(ctx, b.ID, "key1"); banned {
		t.Fatal("a ban in one room holds in another")
	}
	if banned, _ := s.IsBanned(ctx, a.ID, "key2"); banned {
		t.Fatal("a ban holds for another key")
	}
	if err := s.Ban(ctx, "no-such-room", "key1", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ban in a missing room = %v, want ErrNotFound", err)
	}
}

func testListLiveAt(t *testing.T, s store.Store) {
	ctx := context.Background()
	base := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	forever, timed, over := sample("live-forever"), sample("live-timed"), sample("live-over")
	forever.StartsAt, forever.Duration = base, 0
	timed.StartsAt, timed.Duration = base, 2*time.Hour
	over.StartsAt, over.Duration = base.Add(-3*time.Hour), time.Hour
	for _, r := range []room.Room{forever, timed, over} {
		mustCreate(t, s, r)
	}
	got, err := s.ListRooms(ctx, store.ListFilter{IDs: []string{forever.ID, timed.ID, over.ID}, LiveAt: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range got {
		ids[r.ID] = true
	}
	if len(got) != 2 || !ids[forever.ID] || !ids[timed.ID] {
		t.Fatalf("LiveAt kept %v, want the room without a duration and the one still running", ids)
	}
}

func testMembers(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := sample("member-room-a"), sample("member-room-b")
	mustCreate(t, s, a)
	mustCreate(t, s, b)
	if m, err := s.IsMember(ctx, a.ID, "k"); err != nil || m {
		t.Fatalf("IsMember before joining = %v, %v", m, err)
	}
	for range 2 {
		if err := s.AddMember(ctx, a.ID, "k"); err != nil {
			t.Fatal(err)
		}
	}
	if m, _ := s.IsMember(ctx, a.ID, "k"); !m {
		t.Fatal("a member is not a member")
	}
	if m, _ := s.IsMember(ctx, b.ID, "k"); m {
		t.Fatal("membership of one room holds in another")
	}
}

func testNonces(t *testing.T, s store.Store) {
	ctx := context.Background()
	later := time.Now().Add(10 * time.Minute)
	if err := s.UseNonce(ctx, "key-a", "n1", later); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.UseNonce(ctx, "key-a", "n1", later); !errors.Is(err, store.ErrReplay) {
		t.Fatalf("second use: got %v, want ErrReplay", err)
	}
	if err := s.UseNonce(ctx, "key-b", "n1", later); err != nil {
		t.Fatalf("another key's same nonce: %v", err)
	}
	// A nonce past its time is forgotten once another comes, and may come
	// again (its signature would fail the time check by then anyway).
	if err := s.UseNonce(ctx, "key-a", "old", time.Now().Add(-time.Second)); err != nil {
		t.Fatalf("use old: %v", err)
	}
	if err := s.UseNonce(ctx, "key-a", "n2", later); err != nil {
		t.Fatalf("use n2: %v", err)
	}
	if err := s.UseNonce(ctx, "key-a", "old", later); err != nil {
		t.Fatalf("an expired nonce should have been forgotten: %v", err)
	}
}
