package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/api"
	"github.com/rooms-dev/rooms/internal/store"
	apitypes "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func intp(n int) *int { return &n }

// TestRoomScreenShares checks a room's own cap on screens shared at once:
// it is set at create or by PATCH, the room shows the cap in effect, and a
// cap above the server's is refused naming the server's.
func TestRoomScreenShares(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxScreenShares = 10 })
	ctx := context.Background()

	info, err := e.c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.MaxScreenShares != 10 {
		t.Fatalf("/v1/info max_screen_shares = %d, want the server's cap 10", info.MaxScreenShares)
	}

	t.Run("create", func(t *testing.T) {
		tests := []struct {
			name    string
			n       int
			want    int    // the room's max_screen_shares
			wantErr string // part of the problem's detail; "" for success
		}{
			{"none set shows the server's cap", 0, 10, ""},
			{"one at a time", 1, 1, ""},
			{"below the server's cap", 3, 3, ""},
			{"equal to the server's cap", 10, 10, ""},
			{"above the server's cap", 11, 0, "between 1 and 10 (the server's cap)"},
			{"above any server's cap", 60, 0, "between 1 and 10 (the server's cap)"},
			{"negative", -1, 0, "not -1"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, err := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{MaxScreenShares: tt.n})
				if tt.wantErr != "" {
					checkScreenProblem(t, err, tt.wantErr)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.MaxScreenShares != tt.want {
					t.Fatalf("created room max_screen_shares = %d, want %d", r.MaxScreenShares, tt.want)
				}
				got, err := e.c.GetRoom(ctx, r.ID)
				if err != nil || got.MaxScreenShares != tt.want {
					t.Fatalf("GET after create: max_screen_shares = %d (%v), want %d", got.MaxScreenShares, err, tt.want)
				}
			})
		}
	})

	t.Run("update", func(t *testing.T) {
		r, err := e.c.CreateRoom(ctx, apitypes.CreateRoomRequest{MaxScreenShares: 4})
		if err != nil {
			t.Fatal(err)
		}
		// Steps run in order on the one room; a refused step leaves it as it was.
		steps := []struct {
			name    string
			n       int
			want    int
			wantErr string
		}{
			{"lower it", 2, 2, ""},
			{"above the server's cap is refused", 11, 2, "between 1 and 10 (the server's cap)"},
			{"negative is refused", -3, 2, "not -3"},
			{"0 hands it back to the server", 0, 10, ""},
			{"one at a time", 1, 1, ""},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				got, err := e.c.UpdateRoom(ctx, r.ID, r.HostKey, apitypes.UpdateRoomRequest{MaxScreenShares: intp(st.n)})
				if st.wantErr != "" {
					checkScreenProblem(t, err, st.wantErr)
				} else if err != nil {
					t.Fatal(err)
				} else if got.MaxScreenShares != st.want {
					t.Fatalf("PATCH answered max_screen_shares = %d, want %d", got.MaxScreenShares, st.want)
				}
				after, err := e.c.GetRoom(ctx, r.ID)
				if err != nil || after.MaxScreenShares != st.want {
					t.Fatalf("GET after PATCH: max_screen_shares = %d (%v), want %d", after.MaxScreenShares, err, st.want)
				}
			})
		}
	})
}

// checkScreenProblem wants a 400 invalid_argument naming the server's cap.
func checkScreenProblem(t *testing.T, err error, detail string) {
	t.Helper()
	p := problemOf(t, err)
	if p.Status != http.StatusBadRequest || p.Code != apitypes.CodeInvalidArgument {
		t.Fatalf("got %d %s (%q), want 400 invalid_argument", p.Status, p.Code, p.Detail)
	}
	if !strings.Contains(p.Detail, detail) {
		t.Errorf("detail %q lacks %q", p.Detail, detail)
	}
	if p.MaxScreenShares != 10 {
		t.Errorf("problem max_screen_shares = %d, want the server's cap 10", p.MaxScreenShares)
	}
}

// TestLoweredServerScreenCap restarts the API over the same store with a
// lower --max-screen-shares: a room whose own cap is now above it shows
// the server's, and its host can still edit it.
func TestLoweredServerScreenCap(t *testing.T) {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC) }
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rooms.db"), store.Options{Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	serve := func(serverCap int) *client.Client {
		srv := httptest.NewServer(api.New(api.Config{Store: st, Now: now, PublicURL: "http://rooms.test", MaxScreenShares: serverCap}))
		t.Cleanup(srv.Close)
		c, err := client.New(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	r, err := serve(10).CreateRoom(ctx, apitypes.CreateRoomRequest{MaxScreenShares: 8})
	if err != nil {
		t.Fatal(err)
	}
	lowered := serve(5)
	got, err := lowered.GetRoom(ctx, r.ID)
	if err != nil || got.MaxScreenShares != 5 {
		t.Fatalf("after lowering the server's cap to 5: max_screen_shares = %d (%v), want 5", got.MaxScreenShares, err)
	}
	yes := true
	if _, err := lowered.UpdateRoom(ctx, r.ID, r.HostKey, apitypes.UpdateRoomRequest{Locked: &yes}); err != nil {
		t.Fatalf("locking a room whose cap is above the lowered server's: %v", err)
	}
}
