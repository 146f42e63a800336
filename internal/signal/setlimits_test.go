package signal_test

import (
	"net/http"
	"testing"

	"github.com/rooms-dev/rooms/internal/signal"
	wire "github.com/rooms-dev/rooms/pkg/api"
)

// TestSetLimitsAppliesToNewConnectionsOnly: lowering the cap while
// connections are open (roomsd's reload) keeps them open and refuses the
// next one; raising it lets the next one in.
func TestSetLimitsAppliesToNewConnectionsOnly(t *testing.T) {
	e := newGuardedEnv(t, signal.Limits{PerAddress: 5, Total: 100}, "")
	for i := range 3 {
		if _, ref := e.open(t, fromAddr("198.51.100.1"), ""); ref != nil {
			t.Fatalf("connection %d: %+v", i+1, ref)
		}
	}
	e.h.SetLimits(signal.Limits{PerAddress: 2, Total: 100})
	if got := e.h.Open(); got != 3 {
		t.Fatalf("open connections after lowering the cap: %d, want the 3 kept", got)
	}
	if _, ref := e.open(t, fromAddr("198.51.100.1"), ""); ref == nil || ref.status != http.StatusTooManyRequests || ref.code != wire.CodeTooManyConnections {
		t.Fatalf("a 4th connection past the lowered cap of 2: %+v, want 429 %s", ref, wire.CodeTooManyConnections)
	}
	e.h.SetLimits(signal.Limits{PerAddress: 4, Total: 100})
	if _, ref := e.open(t, fromAddr("198.51.100.1"), ""); ref != nil {
		t.Fatalf("a 4th connection under the raised cap of 4: %+v", ref)
	}
}
