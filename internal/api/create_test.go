package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	apitypes "github.com/rooms-dev/rooms/pkg/api"
)

// post sends body to path as JSON and decodes the answer into out (a Room
// or a Problem), returning the status.
func post(t *testing.T, e *env, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("POST %s answered %d with a body that is not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode
}

// TestCreateMaxParticipants: an absent (or null) max_participants is the
// default; one given must be 1 to the cap, and 0 is refused rather than
// read as the default, with nothing created.
func TestCreateMaxParticipants(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int // the room's cap; 0: refused with invalid_argument
	}{
		{"absent is the default", `{}`, 50},
		{"null is the default", `{"max_participants":null}`, 50},
		{"1 is a room for one", `{"max_participants":1}`, 1},
		{"the cap itself", `{"max_participants":50}`, 50},
		{"an explicit 0 is refused", `{"max_participants":0}`, 0},
		{"a negative cap is refused", `{"max_participants":-1}`, 0},
		{"above the cap is refused", `{"max_participants":51}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.want > 0 {
				var r apitypes.Room
				if status := post(t, e, "/v1/rooms", tt.body, &r); status != http.StatusCreated || r.MaxParticipants != tt.want {
					t.Fatalf("got %d with max_participants %d, want 201 with %d", status, r.MaxParticipants, tt.want)
				}
				return
			}
			var p apitypes.Problem
			status := post(t, e, "/v1/rooms", tt.body, &p)
			if status != http.StatusBadRequest || p.Code != apitypes.CodeInvalidArgument || p.MaxParticipants != 50 || !strings.Contains(p.Detail, "max") {
				t.Fatalf("got %d %+v, want 400 invalid_argument naming the cap of 50", status, p)
			}
			rooms, err := e.c.ListRooms(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rooms) != 0 {
				t.Fatalf("a refused create made %d rooms", len(rooms))
			}
		})
	}
}

// TestUpdateMaxParticipantsZero: PATCH has no default to fall back to, so
// 0 is refused there too and the room keeps its cap.
func TestUpdateMaxParticipantsZero(t *testing.T) {
	e := newEnv(t, nil)
	r, err := e.c.CreateRoom(context.Background(), apitypes.CreateRoomRequest{MaxParticipants: 6})
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	_, err = e.c.UpdateRoom(context.Background(), r.ID, r.HostKey, apitypes.UpdateRoomRequest{MaxParticipants: &zero})
	if p := problemOf(t, err); p.Code != apitypes.CodeInvalidArgument || p.MaxParticipants != 50 {
		t.Fatalf("PATCH max_participants 0: %+v, want invalid_argument with the cap", p)
	}
	got, err := e.c.GetRoom(context.Background(), r.ID)
	if err != nil || got.MaxParticipants != 6 {
		t.Fatalf("after a refused change the room's cap is %d (%v), want 6", got.MaxParticipants, err)
	}
}
