package cli

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/loadtest"
	"github.com/rooms-dev/rooms/internal/safetext"
)

func newCmdLoadtestAPI(f *Factory) *cobra.Command {
	o := loadtest.ControlOptions{}
	var nodes []string
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Load the control plane: room creations, then GET /v1/rooms/{id}, per second and p50/p99",
		Long: `Create --creates rooms, then read them --gets times (GET /v1/rooms/{id}), with
--concurrency requests in flight, and report how many per second each phase managed
and the latency of each request (p50, p95, p99), in all and per node.

With --nodes, the requests go round-robin to several roomsd sharing one database
(or list the one address in front of them); a read goes to another node than the
one that created its room. Without it, to --server.

roomsd limits requests per client address (--rate, --create-rate): to measure the
server rather than its limits, start the roomsd under test with high ones. Refused
requests are counted by HTTP status (429: the limit). Only servers on this machine
unless --allow-remote.`,
		Example: `  # the roomsd on this machine, started with high limits
  roomsd serve --rate 100000 --rate-burst 100000 --create-rate 10000000 --create-burst 100000 &
  rooms loadtest api --creates 2000 --gets 20000 --concurrency 16

  # three nodes on one PostgreSQL, per node
  rooms loadtest api --nodes http://127.0.0.1:7881,http://127.0.0.1:7882,http://127.0.0.1:7883 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Nodes = nodes
			if len(o.Nodes) == 0 {
				o.Nodes = []string{f.server}
			}
			o.CreateToken = f.createToken
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			prog := &progress{w: f.IO.ErrOut, tty: f.IO.ErrTTY}
			rep, err := loadtest.ControlPlane(ctx, o, func(s string) {
				if !f.json {
					prog.update(s)
				}
			})
			prog.done()
			if err != nil && rep.Nodes == nil {
				return usageErr("%w", err)
			}
			if err != nil {
				return explain(f.server, err)
			}
			if f.json {
				return f.printJSON(rep)
			}
			tb := &table{}
			op := func(name string, s loadtest.OpStats) {
				line := fmt.Sprintf("%6.0f/s  p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  (%d in %.1f s)", s.PerSecond, s.MS.P50, s.MS.P95, s.MS.P99, s.OK, s.Seconds)
				if s.ServerCPUMS > 0 {
					line += fmt.Sprintf("  roomsd CPU %.2f ms each", s.ServerCPUMS)
				}
				if len(s.Failed) > 0 {
					var codes []string
					for c, n := range s.Failed {
						codes = append(codes, fmt.Sprintf("%s ×%d", safetext.Line(c), n))
					}
					sort.Strings(codes)
					line += fmt.Sprintf("  failed %v", codes)
				}
				tb.row(name, line)
			}
			op("creates", rep.Creates)
			op("gets", rep.Gets)
			if len(rep.Nodes) > 1 {
				for _, n := range rep.Nodes {
					op(safetext.Line(n.URL)+" creates", n.Creates)
					op(safetext.Line(n.URL)+" gets", n.Gets)
				}
			}
			return tb.write(f.IO.Out, "")
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Creates, "creates", 1000, "rooms to create (at most 200000)")
	fl.IntVar(&o.Gets, "gets", 10000, "room reads after the creations (at most 200000)")
	fl.IntVar(&o.Concurrency, "concurrency", 8, "requests in flight at once (at most 256)")
	fl.StringSliceVar(&nodes, "nodes", nil, "the servers to spread requests over, round-robin (default: --server)")
	fl.BoolVar(&o.AllowRemote, "allow-remote", false, "allow servers that are not on this machine")
	return cmd
}

// writeNodeRows is the per-node part of a media load test's table.
func writeNodeRows(tb *table, nodes []loadtest.NodeReport) {
	for _, n := range nodes {
		u := safetext.Line(n.URL)
		s := n.Server
		tb.row(u, fmt.Sprintf("%d rooms  %d joined  join p50 %.0f ms p99 %.0f ms  first frame p50 %.0f ms (%d)", n.Rooms, n.Joined, n.JoinMS.P50, n.JoinMS.P99, n.FirstFrameMS.P50, n.FirstFrameMS.N))
		tb.row(u+" receive", fmt.Sprintf("%.0f kbps each  loss %.2f%%  freezes %d", n.ReceiveKbps, n.PacketLoss*100, n.Freezes))
		tb.row(u+" server", fmt.Sprintf("%.1f%% of a core  %.0f packets/s out  %.1f µs CPU per packet  %.0f MB RSS", s.CPUPercent, s.PacketsPerSec, s.MicrosPerPkt, s.RSSMB))
	}
}
