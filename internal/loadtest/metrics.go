package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serverMetrics are the counters read from roomsd's /metrics.
type serverMetrics struct {
	cpuSeconds float64
	rssBytes   float64
	heapBytes  float64
	nextGC     float64 // the heap goal: the live heap at the last GC × (1 + GOGC/100)
	gogc       float64
	received   float64
	forwarded  float64
}

// ServerCost is what roomsd spent during the steady state (CPU and
// packets between two reads of its /metrics, once everyone joined and at
// the end) and the memory it held at the end.
type ServerCost struct {
	CPUPercent    float64 `json:"cpu_percent_of_one_core"`
	PacketsPerSec float64 `json:"packets_per_second_out"`
	MicrosPerPkt  float64 `json:"us_cpu_per_forwarded_packet"`
	RSSMB         float64 `json:"rss_mb"`
	MBPerPerson   float64 `json:"mb_per_participant"`
	// HeapMB is the Go heap in use; a participant holds two
	// PeerConnections on the server (publish and subscribe).
	HeapMB      float64 `json:"heap_mb"`
	HeapMBPerPC float64 `json:"heap_mb_per_peerconnection"`
	// LiveHeapMB is what the last garbage collection found live (the
	// heap goal over 1 + GOGC/100): heap in use less the garbage not yet
	// collected, which GOGC lets grow up to the live heap again.
	LiveHeapMB      float64 `json:"live_heap_mb"`
	LiveHeapMBPerPC float64 `json:"live_heap_mb_per_peerconnection"`
	// ReceivedPerSec is packets read from publishers, every layer.
	ReceivedPerSec float64 `json:"packets_per_second_in"`
}

// scrape reads the counters cost needs from roomsd's /metrics.
func scrape(ctx context.Context, server string) (serverMetrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return serverMetrics{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverMetrics{}, fmt.Errorf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	var m serverMetrics
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		// A node of a cluster labels every sample with its node:
		// name{node="ID"} value.
		name, _, _ := strings.Cut(f[0], "{")
		switch name {
		case "process_cpu_seconds_total":
			m.cpuSeconds = v
		case "process_resident_memory_bytes":
			m.rssBytes = v
		case "go_memstats_heap_inuse_bytes":
			m.heapBytes = v
		case "rooms_sfu_forwarded_packets_total":
			m.forwarded = v
		case "rooms_sfu_received_packets_total":
			m.received = v
		case "go_memstats_next_gc_bytes":
			m.nextGC = v
		case "go_gc_gogc_percent":
			m.gogc = v
		}
	}
	return m, sc.Err()
}

func cost(a, b serverMetrics, seconds float64, people int) ServerCost {
	c := ServerCost{RSSMB: b.rssBytes / (1 << 20), HeapMB: b.heapBytes / (1 << 20)}
	if b.gogc > 0 {
		c.LiveHeapMB = b.nextGC / (1 + b.gogc/100) / (1 << 20)
	}
	if seconds > 0 {
		c.CPUPercent = (b.cpuSeconds - a.cpuSeconds) / seconds * 100
		c.PacketsPerSec = (b.forwarded - a.forwarded) / seconds
		c.ReceivedPerSec = (b.received - a.received) / seconds
	}
	if pk := b.forwarded - a.forwarded; pk > 0 {
		c.MicrosPerPkt = (b.cpuSeconds - a.cpuSeconds) / pk * 1e6
	}
	if people > 0 {
		c.MBPerPerson = c.RSSMB / float64(people)
		c.HeapMBPerPC = c.HeapMB / float64(2*people)
		c.LiveHeapMBPerPC = c.LiveHeapMB / float64(2*people)
	}
	return c
}
