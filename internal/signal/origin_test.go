package signal_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/signal"
	wire "github.com/rooms-dev/rooms/pkg/api"
)

// A page of another site must not open a call connection: it would join
// calls as the user, with the user's camera if the page has it.
func TestCallConnectionsFromOtherOriginsAreRefused(t *testing.T) {
	e := newGuardedEnv(t, signal.Limits{}, "https://rooms.example.com")
	own := "http://" + strings.TrimPrefix(e.url, "http://")
	tests := []struct {
		name         string
		origin, host string
		want         int // 0: accepted
		wantCode     wire.Code
	}{
		{"a page of another site", "http://evil.example", "", 403, wire.CodeCrossOrigin},
		{"a page of another site whose name points at roomsd (DNS rebinding)", "http://evil.example", "evil.example", 421, wire.CodeUnknownHost},
		{"the same, on roomsd's port", "http://evil.example:" + e.url[strings.LastIndex(e.url, ":")+1:], "evil.example:" + e.url[strings.LastIndex(e.url, ":")+1:], 421, wire.CodeUnknownHost},
		{"a sandboxed page", "null", "", 403, wire.CodeCrossOrigin},
		{"roomsd's own page", own, "", 0, ""},
		{"roomsd's page behind its proxy, which sends roomsd's own address as Host", "https://rooms.example.com", "10.0.0.5:7880", 0, ""},
		{"a program sends no Origin", "", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", tt.origin)
			}
			_, ref := e.open(t, h, tt.host)
			switch {
			case tt.want == 0 && ref != nil:
				t.Fatalf("refused: %+v", ref)
			case tt.want != 0 && ref == nil:
				t.Fatal("accepted")
			case tt.want != 0 && (ref.status != tt.want || ref.code != tt.wantCode):
				t.Fatalf("refused as %+v, want %d %s", ref, tt.want, tt.wantCode)
			}
		})
	}
}
