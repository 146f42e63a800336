package roomwire

import (
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
)

func TestRender(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)
	rome := time.FixedZone("CET", 3600)
	srv := Server{PublicURL: "https://rooms.example", MaxScreenShares: 4}
	base := room.Room{ID: "abc", Name: "standup", Theme: "classic", Visibility: room.Public, Capacity: 8,
		State: room.Open, StartsAt: t0.Add(-time.Hour), TimeZone: "Europe/Rome", CreatedAt: t0.Add(-2 * time.Hour).In(rome)}
	tests := []struct {
		name  string
		edit  func(*room.Room)
		check func(t *testing.T, r room.Room)
	}{
		{"link, fields and the people in the call", nil, func(t *testing.T, r room.Room) {
			out := srv.Render(r, t0, 3)
			if out.Link != "https://rooms.example/r/abc" || out.Participants != 3 || out.Name != "standup" || out.MaxParticipants != 8 || out.State != "open" {
				t.Fatalf("%+v", out)
			}
			if out.CreatedAt.Location() != time.UTC || !out.CreatedAt.Equal(r.CreatedAt) {
				t.Fatalf("created at %v, want %v in UTC", out.CreatedAt, r.CreatedAt)
			}
			if out.EndsAt != nil || out.EndedAt != nil {
				t.Fatalf("a room without a duration ends at %v, ended at %v", out.EndsAt, out.EndedAt)
			}
		}},
		{"the server's screen cap when the room has none", nil, func(t *testing.T, r room.Room) {
			if got := srv.Render(r, t0, 0).MaxScreenShares; got != 4 {
				t.Fatalf("screens %d, want the server's 4", got)
			}
		}},
		{"the room's screen cap when lower", func(r *room.Room) { r.MaxScreenShares = 1 }, func(t *testing.T, r room.Room) {
			if got := srv.Render(r, t0, 0).MaxScreenShares; got != 1 {
				t.Fatalf("screens %d, want the room's 1", got)
			}
		}},
		{"the server's screen cap when the room's is higher", func(r *room.Room) { r.MaxScreenShares = 9 }, func(t *testing.T, r room.Room) {
			if got := srv.Render(r, t0, 0).MaxScreenShares; got != 4 {
				t.Fatalf("screens %d, want the server's 4", got)
			}
		}},
		{"booked: the state at now", func(r *room.Room) { r.State, r.StartsAt = room.Scheduled, t0.Add(time.Hour) }, func(t *testing.T, r room.Room) {
			if got := srv.Render(r, t0, 0).State; got != "scheduled" {
				t.Fatalf("state %s before it opens", got)
			}
			if got := srv.Render(r, t0.Add(2*time.Hour), 0).State; got != "open" {
				t.Fatalf("state %s after it opens", got)
			}
		}},
		{"time ran out: ended when it ended", func(r *room.Room) { r.Duration = 30 * time.Minute }, func(t *testing.T, r room.Room) {
			out := srv.Render(r, t0, 0)
			end := t0.Add(-30 * time.Minute)
			if out.State != "ended" || out.EndsAt == nil || !out.EndsAt.Equal(end) || out.EndedAt == nil || !out.EndedAt.Equal(end) || out.DurationSeconds != 1800 {
				t.Fatalf("%+v", out)
			}
		}},
		{"ended by the host", func(r *room.Room) { r.State, r.EndedAt = room.Ended, t0.Add(-time.Minute).In(rome) }, func(t *testing.T, r room.Room) {
			out := srv.Render(r, t0, 0)
			if out.State != "ended" || out.EndedAt == nil || !out.EndedAt.Equal(r.EndedAt) || out.EndedAt.Location() != time.UTC {
				t.Fatalf("%+v", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			if tt.edit != nil {
				tt.edit(&r)
			}
			tt.check(t, r)
		})
	}
}
