package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// ControlOptions say how much control-plane load to make: room creations,
// then reads of those rooms (GET /v1/rooms/{id}), spread round-robin over
// the nodes, Concurrency requests in flight at once.
type ControlOptions struct {
	// Nodes are the servers' URLs: one, several nodes sharing a
	// database, or the one address in front of them.
	Nodes       []string
	Creates     int
	Gets        int
	Concurrency int
	CreateToken string
	AllowRemote bool
}

// Bounds of a control-plane run.
const (
	MaxControlOps         = 200000
	MaxControlConcurrency = 256
)

// ControlReport is what a control-plane run measured, in all and per node.
type ControlReport struct {
	Creates OpStats       `json:"creates"`
	Gets    OpStats       `json:"gets"`
	Nodes   []NodeControl `json:"nodes"`
}

// NodeControl is one node's share of a control-plane run.
type NodeControl struct {
	URL     string  `json:"url"`
	Creates OpStats `json:"creates"`
	Gets    OpStats `json:"gets"`
}

// OpStats are the requests of one kind: how many, how many failed (by
// HTTP status or "error"), how many per second over the phase, and the
// latency of those that succeeded.
type OpStats struct {
	OK        int            `json:"ok"`
	Failed    map[string]int `json:"failed"`
	PerSecond float64        `json:"per_second"`
	MS        Percentiles    `json:"ms"`
	Seconds   float64        `json:"seconds"`
	// ServerCPUMS is the CPU time roomsd spent per successful request,
	// every node's together (their process_cpu_seconds_total; the
	// database's own is not in it): a cost that does not depend on how
	// loaded the machine is, unlike the rates. 0 when the metrics could
	// not be read.
	ServerCPUMS float64 `json:"server_cpu_ms_per_request"`
}

// cpuSeconds sums the nodes' process_cpu_seconds_total; ok is false when
// one could not be read.
func cpuSeconds(ctx context.Context, clients []*client.Client) (float64, bool) {
	var sum float64
	for _, c := range clients {
		m, err := scrape(ctx, c.Server())
		if err != nil {
			return 0, false
		}
		sum += m.cpuSeconds
	}
	return sum, true
}

// withCPU adds the server CPU per request spent between before and now.
func withCPU(ctx context.Context, clients []*client.Client, before float64, okBefore bool, s *OpStats) {
	after, ok := cpuSeconds(ctx, clients)
	if ok && okBefore && s.OK > 0 {
		s.ServerCPUMS = (after - before) * 1000 / float64(s.OK)
	}
}

// ControlPlane runs the creations, then the reads, and reports.
func ControlPlane(ctx context.Context, o ControlOptions, progress func(string)) (ControlReport, error) {
	switch {
	case len(o.Nodes) == 0:
		return ControlReport{}, errors.New("give at least one server")
	case o.Creates < 1 || o.Gets < 0 || o.Creates > MaxControlOps || o.Gets > MaxControlOps:
		return ControlReport{}, fmt.Errorf("--creates must be 1 to %d and --gets 0 to %d", MaxControlOps, MaxControlOps)
	case o.Concurrency < 1 || o.Concurrency > MaxControlConcurrency:
		return ControlReport{}, fmt.Errorf("--concurrency must be 1 to %d", MaxControlConcurrency)
	}
	// One transport for all, with enough idle connections per host for
	// the concurrency: a new TCP connection per request would measure the
	// kernel, not the server.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.Concurrency
	tr.MaxConnsPerHost = o.Concurrency
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	clients := make([]*client.Client, len(o.Nodes))
	for i, u := range o.Nodes {
		c, err := client.New(u, client.WithHTTPClient(hc), client.WithCreateToken(o.CreateToken))
		if err != nil {
			return ControlReport{}, err
		}
		if !o.AllowRemote && !isLoopback(c.Server()) {
			return ControlReport{}, fmt.Errorf("%s is not on this machine: a load test goes to a remote server only with --allow-remote", c.Server())
		}
		clients[i] = c
	}
	rep := ControlReport{Nodes: make([]NodeControl, len(o.Nodes))}
	for i, c := range clients {
		rep.Nodes[i].URL = c.Server()
	}
	ids := make([]string, o.Creates)
	var err error
	cpu0, cpuOK := cpuSeconds(ctx, clients)
	rep.Creates, err = phase(ctx, o.Creates, o.Concurrency, len(clients), func(ctx context.Context, i int) error {
		r, err := clients[i%len(clients)].CreateRoom(ctx, api.CreateRoomRequest{Name: fmt.Sprintf("control %d", i+1)})
		ids[i] = r.ID
		return err
	}, func(node int, s OpStats) { rep.Nodes[node].Creates = s }, progress, "created")
	if err != nil {
		return rep, err
	}
	withCPU(ctx, clients, cpu0, cpuOK, &rep.Creates)
	var made []string
	for _, id := range ids {
		if id != "" {
			made = append(made, id)
		}
	}
	if o.Gets == 0 {
		return rep, nil
	}
	if len(made) == 0 {
		return rep, errors.New("no room was created, so none can be read: see the failed creations")
	}
	// Read i goes to node i%n and asks for a room made through another
	// node where there are several: reads cross the nodes.
	cpu0, cpuOK = cpuSeconds(ctx, clients)
	rep.Gets, err = phase(ctx, o.Gets, o.Concurrency, len(clients), func(ctx context.Context, i int) error {
		_, err := clients[i%len(clients)].GetRoom(ctx, made[(i+1)%len(made)])
		return err
	}, func(node int, s OpStats) { rep.Nodes[node].Gets = s }, progress, "read")
	if err == nil {
		withCPU(ctx, clients, cpu0, cpuOK, &rep.Gets)
	}
	return rep, err
}

// phase runs n requests, request i on node i%nodes, conc at once, and
// gives the totals and each node's share.
func phase(ctx context.Context, n, conc, nodes int, do func(context.Context, int) error,
	perNode func(int, OpStats), progress func(string), verb string) (OpStats, error) {
	lat := make([]float64, n)
	fail := make([]string, n)
	sent := make([]bool, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				sent[i] = true
				err := do(ctx, i)
				lat[i] = float64(time.Since(t).Microseconds()) / 1000
				if err != nil {
					fail[i] = failCode(err)
				}
			}
		}()
	}
	var err error
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
		if (i+1)%1000 == 0 {
			progress(fmt.Sprintf("%s %d/%d", verb, i+1, n))
		}
	}
	close(next)
	wg.Wait()
	secs := time.Since(start).Seconds()
	stats := func(keep func(int) bool) OpStats {
		s := OpStats{Failed: map[string]int{}, Seconds: secs}
		var ok []float64
		for i := 0; i < n; i++ {
			if !sent[i] || !keep(i) {
				continue
			}
			if fail[i] != "" {
				s.Failed[fail[i]]++
				continue
			}
			ok = append(ok, lat[i])
		}
		s.OK = len(ok)
		s.MS = percentiles(ok)
		if secs > 0 {
			s.PerSecond = float64(s.OK) / secs
		}
		return s
	}
	for node := 0; node < nodes; node++ {
		perNode(node, stats(func(i int) bool { return i%nodes == node }))
	}
	return stats(func(int) bool { return true }), err
}

// failCode names a failed request: its HTTP status, or "error".
func failCode(err error) string {
	var p *api.Problem
	if errors.As(err, &p) && p.Status != 0 {
		return fmt.Sprint(p.Status)
	}
	return "error"
}
