package api_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestSetRateAndCreateTokenWhileServing: what roomsd's reload changes
// takes effect on the next request: a raised creation burst lets creates
// through that the old one refused, and a new token replaces the old.
func TestSetRateAndCreateTokenWhileServing(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC)}
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Config{Store: st, Now: clk.Now, PublicURL: "http://rooms.test", CreateToken: "old-token",
		Rate: api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 1, CreateBurst: 1}})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); st.Close() })
	with := func(tok string) *client.Client {
		c, err := client.New(srv.URL, client.WithCreateToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	oldC, newC := with("old-token"), with("new-token")
	if _, err := oldC.CreateRoom(ctx, apitypes.CreateRoomRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := oldC.CreateRoom(ctx, apitypes.CreateRoomRequest{}); problemOf(t, err).Code != apitypes.CodeRateLimited {
		t.Fatalf("a second create in a burst of 1: %v", err)
	}

	h.SetRate(api.Rate{PerSecond: 1000, Burst: 1000, CreatesPerMinute: 1, CreateBurst: 5})
	h.SetCreateToken("new-token")
	if _, err := oldC.CreateRoom(ctx, apitypes.CreateRoomRequest{}); problemOf(t, err).Code != apitypes.CodeForbidden {
		t.Fatalf("the old token after SetCreateToken: %v", err)
	}
	for i := range 5 {
		if _, err := newC.CreateRoom(ctx, apitypes.CreateRoomRequest{}); err != nil {
			t.Fatalf("create %d in the new burst of 5: %v", i+1, err)
		}
	}
	info, err := newC.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h.SetCreateToken("")
	if info2, err := with("").Info(ctx); err != nil || !info.CreateTokenRequired || info2.CreateTokenRequired {
		t.Errorf("create_token_required: %v before, %v after clearing the token (%v)", info.CreateTokenRequired, info2.CreateTokenRequired, err)
	}
}
