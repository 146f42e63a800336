package cli

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/loadtest"
	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/safetext"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func newCmdLoadtest(f *Factory) *cobra.Command {
	o := loadtest.Options{}
	var layout, tileSize string
	var simulcast bool
	var nodes []string
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Load a roomsd with many participants and report what they and the server saw",
		Long: `Join many participants from this one process, publishers sending pre-encoded clips
(a busy test pattern at 15 fps and the test tone, encoded once at start), hold the load,
and report join latency, join to first frame, bitrate, loss, jitter and freezes, next
to the server's cost from its /metrics: CPU per forwarded packet and memory per
participant. Bounded in time and count; only a server on this machine unless
--allow-remote.

Publishers send their video as simulcast, as rooms join and browsers do: three layers
of the pattern, q 160x120 (80 kbps), h 320x240 (200 kbps) and f 640x480 (500 kbps),
and the server forwards one of them to each viewer. The pattern carries a moving
texture and grain, as a camera's picture does, so the clips hold those bitrates (within
about 10%; the report says what each holds) in several packets a frame on the larger
layers. A keyframe request on a layer
restarts that layer's clip at its keyframe. --simulcast=false sends one 320x240 layer
(150 kbps), as before simulcast.

Each viewer tells the server how large it draws the videos it shows (--tile-size):
by default what a 240x70 terminal draws for the layout (5x5: 48x28 pixels a tile),
so terminals get the smallest layer; a layer nobody receives is suspended and its
publisher stops sending it. --tile-size 1280x720 models a browser's spotlight,
--tile-size none sends no size (every viewer gets the largest layer).`,
		Example: `  # one publisher seen by 20
  rooms loadtest --publishers 1 --subscribers 20 --duration 30s
  # a 50-person room, everyone on camera, each showing a 5x5 page of tiles
  rooms loadtest --publishers 50 --video-layout 5x5 --duration 60s
  # ten all publishing, as JSON
  rooms loadtest --publishers 10 --duration 30s --json
  # the same with one video layer each, to compare
  rooms loadtest --publishers 10 --duration 30s --simulcast=false
  # three rooms over three nodes of one database, per node
  rooms loadtest --nodes http://127.0.0.1:7881,http://127.0.0.1:7882,http://127.0.0.1:7883 --rooms 3 --publishers 5
  # the control plane: creations and reads per second (rooms loadtest api --help)
  rooms loadtest api --creates 2000 --gets 20000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Server, o.Nodes, o.CreateToken = f.server, nodes, f.createToken
			if o.Transport != "" && o.Transport != client.TransportUDP && o.Transport != client.TransportTCP && o.Transport != client.TransportRelay {
				return usageErr("--transport %q: use udp, tcp or relay (through the server's TURN relay; roomsd --turn)", o.Transport)
			}
			tiles, ok := loadtest.Layouts[layout]
			if !ok {
				return usageErr("--video-layout %q: use speaker, 3x3, 4x4, 5x5, 7x7 or all", layout)
			}
			o.Tiles = tiles
			switch tileSize {
			case "terminal":
				o.TileSize = loadtest.TerminalTile(tiles, o.Publishers)
			case "none":
			default:
				var w, h int
				if n, err := fmt.Sscanf(tileSize, "%dx%d", &w, &h); n != 2 || err != nil || w < 1 || h < 1 || w > 16384 || h > 16384 {
					return usageErr("--tile-size %q: use WxH (e.g. 320x180), terminal or none", tileSize)
				}
				o.TileSize = api.Size{W: w, H: h}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if o.Publishers > 0 {
				if simulcast {
					fmt.Fprintln(f.IO.ErrOut, "Encoding the clips, three simulcast layers (a few seconds)…")
					clips, err := media.EncodeSimulcastClips(ctx, 640, 480, 15, 2, media.DefaultLabel)
					if err != nil {
						return err
					}
					o.Clips = clips
				} else {
					fmt.Fprintln(f.IO.ErrOut, "Encoding the clip (a few seconds)…")
					clip, err := media.EncodeClip(ctx, 320, 240, 15, 2, media.DefaultLabel)
					if err != nil {
						return err
					}
					o.Clips = []media.Clip{clip}
				}
			}
			prog := &progress{w: f.IO.ErrOut, tty: f.IO.ErrTTY}
			rep, err := loadtest.Run(ctx, o, func(s string) {
				if !f.json {
					prog.update(s)
				}
			})
			prog.done()
			if err != nil && rep.Participants == 0 {
				return usageErr("%w", err)
			}
			if err != nil {
				return explain(f.server, err)
			}
			if f.json {
				return f.printJSON(rep)
			}
			tb := &table{}
			tb.row("participants", fmt.Sprintf("%d joined of %d", rep.Joined, rep.Participants))
			if len(rep.FailedJoins) > 0 {
				var codes []string
				for c, n := range rep.FailedJoins {
					codes = append(codes, fmt.Sprintf("%s ×%d", safetext.Line(c), n))
				}
				sort.Strings(codes)
				tb.row("failed joins", fmt.Sprint(codes))
			}
			tb.row("join", fmt.Sprintf("p50 %.0f ms  p95 %.0f ms  p99 %.0f ms", rep.JoinMS.P50, rep.JoinMS.P95, rep.JoinMS.P99))
			tb.row("join → first frame", fmt.Sprintf("p50 %.0f ms  p95 %.0f ms  (%d receivers)", rep.FirstFrameMS.P50, rep.FirstFrameMS.P95, rep.FirstFrameMS.N))
			tb.row("receive", fmt.Sprintf("%.0f kbps each  loss %.2f%%  jitter %.1f ms  freezes %d", rep.ReceiveKbps, rep.PacketLoss*100, rep.Jitter, rep.Freezes))
			if len(rep.Nodes) > 0 {
				writeNodeRows(tb, rep.Nodes)
				tb.row("measured", fmt.Sprintf("%.0f s after everyone joined", rep.Seconds))
				return tb.write(f.IO.Out, "")
			}
			s := rep.Server
			tb.row("server", fmt.Sprintf("%.1f%% of a core  %.0f packets/s out  %.1f µs CPU per packet", s.CPUPercent, s.PacketsPerSec, s.MicrosPerPkt))
			tb.row("server in", fmt.Sprintf("%.0f packets/s in from publishers (every simulcast layer)", s.ReceivedPerSec))
			tb.row("server memory", fmt.Sprintf("%.0f MB RSS  %.1f MB per participant  heap %.0f MB in use, %.2f MB per PeerConnection; %.0f MB live, %.2f MB per PeerConnection",
				s.RSSMB, s.MBPerPerson, s.HeapMB, s.HeapMBPerPC, s.LiveHeapMB, s.LiveHeapMBPerPC))
			if len(rep.ClipKbps) > 0 {
				var sent []string
				for _, rid := range []string{"", "q", "h", "f"} {
					if k, ok := rep.ClipKbps[rid]; ok {
						sent = append(sent, strings.TrimPrefix(fmt.Sprintf("%s %.0f kbps", rid, k), " "))
					}
				}
				tb.row("video sent", strings.Join(sent, ", ")+" (each publisher, as encoded)")
			}
			tb.row("measured", fmt.Sprintf("%.0f s after everyone joined", rep.Seconds))
			return tb.write(f.IO.Out, "")
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Rooms, "rooms", 1, "rooms to fill")
	fl.IntVar(&o.Publishers, "publishers", 1, "participants per room sending video (and audio)")
	fl.IntVar(&o.Subscribers, "subscribers", 0, "participants per room only receiving")
	fl.BoolVar(&o.Audio, "audio", true, "publishers send audio too")
	fl.StringVar(&o.Transport, "transport", "", "force every participant's media onto udp, tcp (ICE over TCP) or relay (the server's TURN); default: UDP, TCP if UDP fails")
	fl.BoolVar(&simulcast, "simulcast", true, "publishers send three video layers (160x120, 320x240, 640x480); false: one 320x240 layer")
	fl.DurationVar(&o.Duration, "duration", 20*time.Second, "how long to hold the load once everyone joined (at most 10m)")
	fl.DurationVar(&o.Ramp, "ramp", 100*time.Millisecond, "pause between two joins")
	fl.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a server that is not on this machine")
	fl.StringSliceVar(&nodes, "nodes", nil, "several roomsd sharing one database (or the address in front of them): rooms go round-robin, reported per node (default: --server)")
	fl.StringVar(&f.createToken, "create-token", "", "token a roomsd that listens beyond loopback needs to create rooms (env ROOMS_CREATE_TOKEN; not needed with --room)")
	fl.StringVar(&o.RoomID, "room", "", "fill this room (an id) instead of creating rooms; with --rooms 1")
	fl.IntVar(&o.Speakers, "speakers", 2, "publishers per room whose audio is marked as speech (the rest as a quiet room)")
	fl.StringVar(&layout, "video-layout", "all", "videos each participant shows: speaker (1), 3x3, 4x4, 5x5, 7x7 or all; the server pauses the rest")
	fl.StringVar(&tileSize, "tile-size", "terminal", "the size viewers draw each video at, which picks its simulcast layer: WxH in pixels, terminal (a 240x70 terminal's tiles for the layout) or none")
	_ = cmd.RegisterFlagCompletionFunc("tile-size", cobra.FixedCompletions([]string{"terminal", "none", "320x180", "640x360", "1280x720"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.AddCommand(newCmdLoadtestAPI(f))
	_ = cmd.RegisterFlagCompletionFunc("video-layout", cobra.FixedCompletions([]string{"speaker", "3x3", "4x4", "5x5", "7x7", "all"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
