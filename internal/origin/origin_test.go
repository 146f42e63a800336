package origin

import (
	"net/http/httptest"
	"slices"
	"testing"
)

func TestCandidates(t *testing.T) {
	p, err := New("https://rooms.example.com")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, host, remote string
		want               []string
	}{
		{"through the public name", "rooms.example.com", "203.0.113.5:4000", []string{"https://rooms.example.com"}},
		{"on the host by loopback", "127.0.0.1:7880", "127.0.0.1:5000", []string{"https://rooms.example.com", "http://127.0.0.1:7880"}},
		{"localhost", "localhost:7880", "[::1]:5000", []string{"https://rooms.example.com", "http://localhost:7880"}},
		// A remote peer naming a loopback host is not on this machine.
		{"a loopback Host from afar", "127.0.0.1:7880", "203.0.113.5:4000", []string{"https://rooms.example.com"}},
		{"another name", "evil.example", "127.0.0.1:5000", []string{"https://rooms.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/me", nil)
			r.Host, r.RemoteAddr = tt.host, tt.remote
			if got := p.Candidates(r); !slices.Equal(got, tt.want) {
				t.Fatalf("Candidates = %v, want %v", got, tt.want)
			}
		})
	}
}
