package prune

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

// BenchmarkPruneRoomsBatch measures one batch of DefaultBatch rooms, each
// with 10 members, a ban, 10 invitees and their 10 notifications delivered
// to inboxes: how long one prune transaction holds the store's writer.
func BenchmarkPruneRoomsBatch(b *testing.B) {
	ctx := context.Background()
	clk := &fakeClock{t: t0}
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	n := 0
	fill := func() {
		for range DefaultBatch {
			n++
			id := fmt.Sprintf("room-%06d", n)
			r := room.Room{ID: id, Name: id, Theme: "forest", Visibility: room.Public, Capacity: 50, State: room.Ended,
				StartsAt: t0.Add(-time.Hour), TimeZone: "UTC", EndedAt: t0}
			var rc store.Recipients
			var rows []store.OutboxItem
			for i := range 10 {
				h := fmt.Sprintf("h%d-%s", i, id)
				rc.Invites = append(rc.Invites, store.Invitee{Kind: "handle", Address: h})
				rows = append(rows, store.OutboxItem{EventID: id + ":invited", RoomID: id, Channel: "inbox", Recipient: h, Type: "invited", Payload: []byte(`{"type":"invited"}`)})
			}
			if err := st.CreateRoomWith(ctx, r, rc, rows); err != nil {
				b.Fatal(err)
			}
			for i := range 10 {
				if err := st.AddMember(ctx, id, fmt.Sprintf("k%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			if err := st.Ban(ctx, id, "k9", "x"); err != nil {
				b.Fatal(err)
			}
		}
		for {
			got, err := st.Claim(ctx, "n", t0, time.Minute, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			for _, it := range got {
				if err := st.Delivered(ctx, it.ID, "n", t0); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	rows := 0
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		got, err := st.PruneRooms(ctx, t0.Add(time.Hour), DefaultBatch)
		if err != nil || got["rooms"] != DefaultBatch {
			b.Fatalf("pruned %v, %v", got, err)
		}
		rows = got.Total()
	}
	b.ReportMetric(float64(rows), "rows/batch")
}
