package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
)

func TestUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c, _ := New("http://" + addr)
	_, err = c.ListRooms(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("ListRooms on a closed port = %v, want ErrUnreachable", err)
	}
}

func TestAnswersThatAreNotRoomsd(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"an HTML error page", 502, "<html>bad gateway</html>", "not as roomsd does"},
		{"HTML with 200", 200, "<html>hello</html>", "not roomsd's JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, _ := New(srv.URL)
			_, err := c.GetRoom(context.Background(), "x")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("GetRoom = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestProblemsComeBackTyped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(api.HeaderHostKey) != "rhk_k" {
			t.Errorf("host key header = %q", r.Header.Get(api.HeaderHostKey))
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(409)
		w.Write([]byte(`{"type":"x","title":"Conflict","status":409,"code":"room_ended","detail":"the room has ended"}`))
	}))
	defer srv.Close()
	c, _ := New(srv.URL)
	_, err := c.EndRoom(context.Background(), "id", "rhk_k")
	var p *api.Problem
	if !errors.As(err, &p) || p.Code != api.CodeRoomEnded || p.Error() != "the room has ended" {
		t.Fatalf("EndRoom = %v, want a room_ended problem", err)
	}
}
