package signal_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/signal"
)

// BenchmarkRefusedCallConnection is what roomsd spends on one call
// connection refused for its address's pace: no WebSocket, no goroutine,
// one small problem document.
func BenchmarkRefusedCallConnection(b *testing.B) {
	clk := &frozenClock{t: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	h := &signal.Handler{Limits: signal.Limits{PerAddress: 20, Total: 2000, JoinsPerSecond: 2, JoinBurst: 1}, Now: clk.Now}
	req := httptest.NewRequest("GET", "/r/aaaaaaaaaaaaaaaaaaaaaaaaaa", nil)
	req.RemoteAddr = "198.51.100.1:4000"
	first := httptest.NewRecorder()
	h.ServeHTTP(first, req) // takes the one token; the WebSocket handshake fails
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusTooManyRequests {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
