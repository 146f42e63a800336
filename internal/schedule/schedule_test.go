package schedule

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
	"github.com/rooms-dev/rooms/pkg/api"
)

var t0 = time.Date(2026, 3, 28, 18, 0, 0, 0, time.UTC) // the eve of Rome's DST change

func setup(t *testing.T, startsIn, remind time.Duration) (*Scheduler, store.Store, room.Room) {
	t.Helper()
	return setupAt(t, filepath.Join(t.TempDir(), "rooms.db"), startsIn, remind)
}

// setupAt is setup with the database at path.
func setupAt(t *testing.T, path string, startsIn, remind time.Duration) (*Scheduler, store.Store, room.Room) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, path, store.Options{Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r, err := room.New(room.NewID(), nil, room.Spec{StartsAt: t0.Add(startsIn), TimeZone: "Europe/Rome", Theme: "aperitivo"}, room.Limits{MaxCapacity: 50}, t0)
	if err != nil {
		t.Fatal(err)
	}
	r.Remind = remind
	if err := st.CreateRoom(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimHandle(ctx, "ann", "k1"); err != nil {
		t.Fatal(err)
	}
	if err := st.AddInvites(ctx, r.ID, []store.Invitee{{Kind: "handle", Address: "ann"}, {Kind: "email", Address: "bo@example.com"}}); err != nil {
		t.Fatal(err)
	}
	s := New(Config{Store: st, ToAPI: func(r room.Room) api.Room { return api.Room{ID: r.ID, Link: "http://rooms.test/r/" + r.ID} }})
	return s, st, r
}

func types(t *testing.T, st store.Store, roomID string) map[string]int {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), roomID, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range ds {
		out[d.Type+"/"+d.Channel]++
	}
	return out
}

func TestStepRemindsThenOpensOnce(t *testing.T) {
	s, st, r := setup(t, 25*time.Hour, 15*time.Minute) // opens the next evening, across the DST change
	ctx := context.Background()
	steps := []struct {
		at   time.Duration
		want map[string]int
	}{
		{0, map[string]int{}},
		{24*time.Hour + 44*time.Minute, map[string]int{}},
		{24*time.Hour + 45*time.Minute, map[string]int{"reminder/inbox": 1, "reminder/email": 1}},
		{24*time.Hour + 50*time.Minute, map[string]int{"reminder/inbox": 1, "reminder/email": 1}},
		{25 * time.Hour, map[string]int{"reminder/inbox": 1, "reminder/email": 1, "room_open/inbox": 1, "room_open/email": 1}},
		{26 * time.Hour, map[string]int{"reminder/inbox": 1, "reminder/email": 1, "room_open/inbox": 1, "room_open/email": 1}},
	}
	for _, step := range steps {
		if err := s.Step(ctx, t0.Add(step.at)); err != nil {
			t.Fatal(err)
		}
		got := types(t, st, r.ID)
		if len(got) != len(step.want) {
			t.Fatalf("at +%v: %v, want %v", step.at, got, step.want)
		}
		for k, v := range step.want {
			if got[k] != v {
				t.Fatalf("at +%v: %v, want %v", step.at, got, step.want)
			}
		}
	}
	if got, _ := st.GetRoom(ctx, r.ID); got.State != room.Open {
		t.Fatalf("after its time the room is %s", got.State)
	}
}

func TestStepAfterDowntimeOpensAtOnce(t *testing.T) {
	s, st, r := setup(t, time.Hour, 10*time.Minute)
	// roomsd was down over both the reminder and the opening: the room
	// opens at the first step and only the opening is told (a reminder
	// for a room already open would be noise).
	if err := s.Step(context.Background(), t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := types(t, st, r.ID)
	if got["room_open/inbox"] != 1 || got["reminder/inbox"] != 0 {
		t.Fatalf("after downtime: %v", got)
	}
}

// A room booked inside its reminder window (5 minutes ahead, reminder 10
// minutes before) is reminded halfway; one booked seconds ahead is not.
func TestReminderForARoomBookedInsideItsWindow(t *testing.T) {
	s, st, r := setup(t, 5*time.Minute, 10*time.Minute)
	ctx := context.Background()
	if err := s.Step(ctx, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := types(t, st, r.ID); len(got) != 0 {
		t.Fatalf("before halfway: %v", got)
	}
	if err := s.Step(ctx, t0.Add(150*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := types(t, st, r.ID); got["reminder/inbox"] != 1 {
		t.Fatalf("halfway: %v, want a reminder", got)
	}
	s2, st2, r2 := setup(t, 10*time.Second, 10*time.Minute)
	if err := s2.Step(ctx, t0.Add(9*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := types(t, st2, r2.ID); len(got) != 0 {
		t.Fatalf("a room 10 s ahead got %v before opening", got)
	}
}

func TestEndingSoonWarnsOnce(t *testing.T) {
	s, st, r := setup(t, time.Hour, 0)
	ctx := context.Background()
	if _, err := st.UpdateRoom(ctx, r.ID, func(cur *room.Room) error { cur.Duration = 30 * time.Minute; return nil }); err != nil {
		t.Fatal(err)
	}
	var warned []time.Time
	s.cfg.EndingSoon = func(id string, end time.Time) { warned = append(warned, end) }
	for _, at := range []time.Duration{time.Hour, time.Hour + 20*time.Minute, time.Hour + 26*time.Minute, time.Hour + 28*time.Minute} {
		if err := s.Step(ctx, t0.Add(at)); err != nil {
			t.Fatal(err)
		}
	}
	if len(warned) != 1 || !warned[0].Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("the live call was warned %v, want once, for the end at +90 min", warned)
	}
	if got := types(t, st, r.ID); got["ending_soon/inbox"] != 1 {
		t.Fatalf("invitees: %v, want one ending_soon", got)
	}
}
