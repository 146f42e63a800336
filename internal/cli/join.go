package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

type joinOptions struct {
	headless bool
	name     string
	video    string
	audio    string
	duration time.Duration
	hostKey  string
	wait     bool
	decode   bool
}

func newCmdJoin(f *Factory) *cobra.Command {
	o := &joinOptions{}
	cmd := &cobra.Command{
		Use:   "join ROOM",
		Short: "Join a room's call",
		Long: `Join a room's call. ROOM is the link (or its id).

The terminal call UI is not built yet; today join runs headless: it publishes the
sources you choose and reports what happens in the call, one line per event (one JSON
object per line with --json): joined, participant_joined, participant_left, track,
first_frame, speaking, room_updated, removed, ended, and stats every 5 s.

Sources: --video and --audio take testsrc (a test pattern with known colours and a
frame counter; a 440 Hz tone), none, or a device (a camera such as /dev/video0).

If you created the room on this machine you join as its host. Ctrl-C leaves.
Exit codes: 0 after leaving, 3 no such room, 4 refused (full, locked, removed, banned,
ended, not open yet), 5 server unreachable.`,
		Example: `  # three terminals, each seeing the other two
  rooms join ROOM --headless --video testsrc --audio testsrc --json

  # a 30 s smoke test of a room, for a script
  rooms join ROOM --headless --video testsrc --duration 30s --json | jq -c 'select(.type=="first_frame")'`,
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			return joinRun(cmd.Context(), f, args[0], o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.headless, "headless", false, "no UI: report events as lines (the UI is not built yet)")
	fl.StringVar(&o.name, "name", "", "your name in the call (default: the last one you used, or $USER)")
	fl.StringVar(&o.video, "video", "none", "video source: testsrc, none or a camera device")
	fl.StringVar(&o.audio, "audio", "none", "audio source: testsrc, none or a device")
	fl.DurationVar(&o.duration, "duration", 0, "leave after this long (default: until Ctrl-C)")
	fl.BoolVar(&o.wait, "wait", false, "if the room is booked for later, wait for it to open")
	fl.BoolVar(&o.decode, "decode", true, "decode what arrives (false: only count packets, for load tests)")
	addHostKeyFlag(cmd, &o.hostKey)
	_ = cmd.RegisterFlagCompletionFunc("video", cobra.FixedCompletions([]string{"testsrc", "none", "/dev/video0"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("audio", cobra.FixedCompletions([]string{"testsrc", "none"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func joinRun(ctx context.Context, f *Factory, arg string, o *joinOptions) error {
	if !o.headless {
		return usageErr("the terminal call UI is not built yet; add --headless to join without it")
	}
	if o.duration < 0 {
		return usageErr("--duration cannot be negative")
	}
	t, err := f.resolve(arg)
	if err != nil {
		return err
	}
	key, err := f.identity()
	if err != nil {
		return err
	}
	name := o.name
	if name == "" {
		name = f.rememberedName()
	} else {
		f.rememberName(name)
	}
	// Join as host when this user holds the key (flag, ROOMS_HOST_KEY,
	// or saved at create); as a guest otherwise.
	hostKey, err := f.hostKey(t, o.hostKey)
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != ExitRefused {
			return err
		}
		hostKey = ""
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}

	var tracks []client.LocalTrack
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	if v, err := media.OpenVideo(ctx, media.VideoOptions{Source: o.video, Label: labelFor(name)}); err == nil {
		tracks = append(tracks, client.LocalTrack{Track: v.Track(), Kind: api.KindVideo})
		closers = append(closers, v.Close)
	} else if !errors.Is(err, media.ErrNone) {
		return usageErr("--video %s: %w", o.video, err)
	}
	if a, err := media.OpenAudio(ctx, media.AudioOptions{Source: o.audio}); err == nil {
		tracks = append(tracks, client.LocalTrack{Track: a.Track(), Kind: api.KindAudio, Level: a.Gate().Level})
		closers = append(closers, a.Close)
	} else if !errors.Is(err, media.ErrNone) {
		return usageErr("--audio %s: %w", o.audio, err)
	}

	h := newHeadless(f, t.c.Server(), t.id)
	h.noDecode = !o.decode
	call, err := h.join(ctx, t.c, client.JoinOptions{Name: name, Key: key, HostKey: hostKey, Tracks: tracks}, o.wait)
	if err != nil {
		return err
	}
	return h.run(ctx, call)
}

// joinError turns a refusal into what the user should know and do.
func joinError(server string, err error) error {
	var se *api.SignalError
	if !errors.As(err, &se) {
		return explain(server, err)
	}
	code := ExitRefused
	msg := se.Message
	switch se.Code {
	case api.CodeRoomNotFound:
		code, msg = ExitNotFound, "no room has that link; check it, or ask the host for a new one"
	case api.CodeRoomFull:
		msg = "the room is full; try again when someone leaves"
	case api.CodeRoomLocked:
		msg = "the room is locked: the host is not letting anyone new in"
	case api.CodeBanned:
		msg = "you were removed from this room by the host and cannot come back in"
	case api.CodeRoomEnded:
		msg = "the room has ended"
	case api.CodeNotOpenYet:
		if se.OpensAt != nil {
			msg = fmt.Sprintf("the room opens at %s; run this again then, or add --wait", se.OpensAt.Local().Format("Mon 2 Jan 15:04 MST"))
		}
	case api.CodeInvalidArgument:
		code = ExitUsage
	}
	return &exitError{code: code, apiCode: se.Code, err: errors.New(msg)}
}
