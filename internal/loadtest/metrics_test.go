package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestScrapeReadsLabelledSamples: a node of a cluster labels every sample
// with its node; the load tester reads its cost all the same (it read 0
// for every node before).
func TestScrapeReadsLabelledSamples(t *testing.T) {
	for _, label := range []string{"", `{node="host:7880"}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "# HELP x\nprocess_cpu_seconds_total%s 12.5\nrooms_sfu_forwarded_packets_total%s 1000\nrooms_sfu_received_packets_total%s 200\n", label, label, label)
		}))
		m, err := scrape(context.Background(), srv.URL)
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m.cpuSeconds != 12.5 || m.forwarded != 1000 || m.received != 200 {
			t.Errorf("labels %q: read cpu %v, forwarded %v, received %v; want 12.5, 1000, 200", label, m.cpuSeconds, m.forwarded, m.received)
		}
	}
}
