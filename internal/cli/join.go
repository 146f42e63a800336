package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/termgfx"
	"github.com/rooms-dev/rooms/internal/theme"
	"github.com/rooms-dev/rooms/internal/tui"
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
	guest    bool
	wait     bool
	decode   bool
	noAudio  bool
	// screen is what to share from the start: an X display or testsrc.
	screen      string
	shareScreen bool
	display     string
	// simulcast sends the camera as three layers.
	simulcast bool
	// knock asks the host to let us into a locked room.
	knock bool
	// graphics is how the call UI draws video: auto, kitty, sixel, blocks.
	graphics string
}

func newCmdJoin(f *Factory) *cobra.Command {
	o := &joinOptions{}
	cmd := &cobra.Command{
		Use:   "join ROOM",
		Short: "Join a room's call",
		Long: `Join a room's call. ROOM is the link (or its id).

On a terminal, join opens the call: every other participant as a live video tile in
the room's theme colours, a status bar, people and chat panels (? lists the keys).

With --headless it publishes the sources you choose and reports what happens in the
call, one line per event (one JSON object per line with --json): joined,
participant_joined, participant_left, track, track_ended, first_frame, speaking,
room_updated, error, screen_stopped, removed, ended, and stats every 5 s; knocking while
you wait at a locked room (--knock), and for a host knock and knock_ended.

Sources: --video and --audio take testsrc (a test pattern with known colours and a
frame counter; a 440 Hz tone), none, or a device (a camera such as /dev/video0).
--video testsrc-busy is the pattern with a camera's detail, on which the encoder spends
the bitrate it is given, as on a camera's picture (tests of slow links).

Simulcast: the camera (or test pattern) goes out as three layers of one capture, as
browsers send it: 160x120, 320x240 and 640x480 (about 80, 200 and 500 kbps at most),
and the server forwards each viewer the one that fits their tile. Three encoders cost
more than one: about 13% of a core against 3% on a test machine, and up to 780 kbps of
upload against 250, while someone watches each layer: a layer nobody receives (every
viewer in a terminal needs only 160x120) drops to 2 frames a second until somebody
does. --simulcast=false sends one 320x240 layer (250 kbps), for a slow
machine or uplink; everyone then gets that. A shared screen is always one layer.

Slow uplinks: the call estimates what your uplink carries from the server's feedback
and paces what it sends; layers that do not fit stop (the largest first) and the
smallest is squeezed, never stopped; audio is left room first. Headless stats carry
it as "uplink" (sent_kbps, estimate_kbps, layers_kbps).

Video in the call: --graphics auto (the default) asks the terminal what it can show and
draws everyone at the terminal's own resolution where it can: kitty images in kitty (and
WezTerm, Ghostty, Konsole), sixel in terminals with sixel (xterm -ti vt340, foot, mlterm);
half blocks everywhere else, inside tmux and screen, and when the terminal does not
answer within 1.5 s. --graphics blocks (or ROOMS_GRAPHICS=blocks) always draws half
blocks; kitty or sixel forces a mode. The status bar shows the mode and the frame rate.

Screen sharing: in the call press s to share your X display and s again to stop;
--share-screen starts with it. --display names the X display (default $DISPLAY);
--screen shares a given one from the start, also headless: an X display such as :99
(a virtual one from Xvfb works) or testsrc (a desktop-like test picture). A room lets
a few people share at once (10 by default); past that you are told who is sharing.

If you created the room on this machine you join as its host: the host key saved then
goes to the server that made it and to no other, whatever a link names; --guest joins
without it. Ctrl-C leaves.

A locked room lets in only its host and people already let in. Anyone else may knock:
--knock asks the host (on the call screen, Join on a locked room is "Ask to join"), who admits or declines
(rooms knocks, rooms admit, rooms deny, or in the call); the knock waits up to
` + knockWait + `, Ctrl-C stops waiting. Turned away, that key cannot knock there again.

Exit codes: 0 after leaving, 2 usage (a named source that does not work), 3 no such
room, 4 refused (full, locked, removed, banned, ended, not open yet), 5 server
unreachable (also when a dropped call could not reconnect).`,
		Example: `  # three terminals, each seeing the other two
  rooms join ROOM --headless --video testsrc --audio testsrc --json

  # share a virtual display from a script
  Xvfb :99 -screen 0 1920x1080x24 -noreset & rooms join ROOM --headless --screen :99

  # one video layer instead of three, from a slow machine
  rooms join ROOM --simulcast=false

  # a 30 s smoke test of a room, for a script
  rooms join ROOM --headless --video testsrc --duration 30s --json | jq -c 'select(.type=="first_frame")'`,
		Args:              exactRoomArg,
		ValidArgsFunction: f.completeRooms,
		RunE: func(cmd *cobra.Command, args []string) error {
			return joinRun(cmd.Context(), f, args[0], o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.headless, "headless", false, "no UI: report events as lines, for scripts and tests")
	fl.StringVar(&o.name, "name", "", "your name in the call (default: the last one you used, or $USER)")
	fl.StringVar(&o.video, "video", "", "video source: testsrc, testsrc-busy, none or a camera device (default: the camera, or none headless)")
	fl.StringVar(&o.audio, "audio", "", "audio source: testsrc, none or mic (default: the microphone, or none headless)")
	fl.DurationVar(&o.duration, "duration", 0, "leave after this long (default: until Ctrl-C)")
	fl.BoolVar(&o.wait, "wait", false, "if the room is booked for later, wait for it to open")
	fl.BoolVar(&o.decode, "decode", true, "decode what arrives (false: only count packets, for load tests)")
	fl.BoolVar(&o.noAudio, "no-audio", false, "play no sound (the call UI)")
	fl.BoolVar(&o.shareScreen, "share-screen", false, "share your screen from the start (the display --display names)")
	fl.StringVar(&o.display, "display", "", "the X display to share (default $DISPLAY)")
	fl.StringVar(&o.screen, "screen", "", "share this from the start: an X display (:0, :99) or testsrc")
	fl.BoolVar(&o.knock, "knock", false, "if the room is locked, knock: wait (up to "+knockWait+") for the host to let you in")
	fl.StringVar(&o.graphics, "graphics", "", "how the call draws video: auto (ask the terminal), kitty, sixel or blocks (half blocks, any terminal); default $"+termgfx.EnvVar+" or auto")
	fl.BoolVar(&o.simulcast, "simulcast", true, "send the camera as three layers (160x120, 320x240, 640x480) for the server to choose from; false: one 320x240 layer")
	addHostKeyFlag(cmd, &o.hostKey)
	fl.BoolVar(&o.guest, "guest", false, "join without host rights, even in a room you created (the host key is not sent)")
	cmd.MarkFlagsMutuallyExclusive("guest", "host-key")
	_ = cmd.RegisterFlagCompletionFunc("video", cobra.FixedCompletions([]string{"testsrc", "testsrc-busy", "none", "/dev/video0"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("audio", cobra.FixedCompletions([]string{"testsrc", "none", "mic"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("graphics", cobra.FixedCompletions([]string{"auto", "kitty", "sixel", "blocks"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("screen", cobra.FixedCompletions([]string{"testsrc", ":0", ":99"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("display", cobra.FixedCompletions([]string{":0", ":99"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.MarkFlagsMutuallyExclusive("screen", "share-screen")
	cmd.MarkFlagsMutuallyExclusive("screen", "display")
	return cmd
}

func joinRun(ctx context.Context, f *Factory, arg string, o *joinOptions) error {
	if !o.headless && (!f.IO.OutTTY || !f.IO.InTTY) {
		return usageErr("the call UI needs a terminal; add --headless to join from a script")
	}
	if o.duration < 0 {
		return usageErr("--duration cannot be negative")
	}
	graphics, err := graphicsChoice(f, o.graphics, o.headless)
	if err != nil {
		return err
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
	// Join as host when this user holds the key for this server (flag,
	// ROOMS_HOST_KEY, or saved at create there) and did not ask to be a
	// guest; as a guest otherwise.
	hostKey := ""
	if !o.guest {
		hostKey, err = f.hostKey(t, o.hostKey)
		if err != nil {
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != ExitRefused {
				return err
			}
			hostKey = ""
		}
	}

	// SIGHUP too: a terminal window closed under the call leaves as
	// Ctrl-C does (goodbye sent, pictures in shared memory removed).
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
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
	// Without a flag, the call UI tries the camera and microphone and
	// carries on without them; headless sends nothing. A source named on
	// the command line must work.
	video, audio := o.video, o.audio
	if video == "" {
		video = map[bool]string{true: "none", false: "camera"}[o.headless]
	}
	if audio == "" {
		audio = map[bool]string{true: "none", false: "mic"}[o.headless]
	}
	var videoTrack, audioTrack media.LocalTrack
	cameraNote, micNote := "camera off", "microphone off"
	if v, err := media.OpenVideo(ctx, media.VideoOptions{Source: video, Label: labelFor(name), Simulcast: o.simulcast}); err == nil {
		videoTrack = v
		tracks = append(tracks, client.LocalTrack{Track: v.Track(), Layers: v.Layers(), Kind: api.KindVideo, OnLayers: v.SetActiveLayers,
			Bitrates: v.Bitrates(), OnBitrate: v.SetBitrates})
		closers = append(closers, v.Close)
		cameraNote = map[bool]string{true: "test pattern", false: video}[video == "testsrc"]
	} else if !errors.Is(err, media.ErrNone) {
		if o.video != "" {
			return usageErr("--video %s: %w", o.video, err)
		}
		cameraNote = "no camera found — you'll join with video off; --video testsrc shows a test pattern"
	}
	if a, err := media.OpenAudio(ctx, media.AudioOptions{Source: audio}); err == nil {
		audioTrack = a
		tracks = append(tracks, client.LocalTrack{Track: a.Track(), Kind: api.KindAudio, Level: a.Gate().Level})
		closers = append(closers, a.Close)
		micNote = map[bool]string{true: "test tone (440 Hz)", false: audio}[audio == "testsrc"]
	} else if !errors.Is(err, media.ErrNone) {
		if o.audio != "" {
			return usageErr("--audio %s: %w", o.audio, err)
		}
		micNote = "no microphone found — you'll join muted; --audio testsrc plays a test tone"
	}

	screenSource := o.screen
	if o.shareScreen {
		screenSource = o.display
		if screenSource == "" {
			screenSource = f.Getenv("DISPLAY")
		}
	}
	var screenTrack media.LocalTrack
	if o.screen != "" || o.shareScreen {
		st, err := media.OpenScreen(ctx, media.ScreenOptions{Source: screenSource, Getenv: f.Getenv})
		if err != nil {
			return usageErr("share the screen: %w", err)
		}
		screenTrack = st
		tracks = append(tracks, client.LocalTrack{Track: st.Track(), Kind: api.KindScreen, Bitrates: st.Bitrates(), OnBitrate: st.SetBitrates})
		closers = append(closers, st.Close)
	}

	if !o.headless {
		return f.callUI(ctx, t, tui.Options{Join: client.JoinOptions{Name: name, Key: key, HostKey: hostKey, Tracks: tracks, Knock: o.knock},
			Video: videoTrack, Audio: audioTrack, CameraNote: cameraNote, MicNote: micNote, Remember: f.rememberName, NoAudio: o.noAudio,
			Screen: screenTrack, ScreenSource: cmp.Or(o.screen, o.display), Graphics: graphics})
	}
	h := newHeadless(f, t.c.Server(), t.id)
	h.noDecode = !o.decode
	h.screen = screenTrack
	jo := client.JoinOptions{Name: name, Key: key, HostKey: hostKey, Tracks: tracks, Knock: o.knock}
	if o.knock {
		jo.OnKnocking = func(k api.Knocking) {
			h.out("knocking", map[string]any{"knock": k.ID, "expires_at": k.ExpiresAt.UTC().Format(time.RFC3339), "message": k.Message})
		}
	}
	call, err := h.join(ctx, t.c, jo, o.wait)
	if err != nil {
		if o.knock && ctx.Err() != nil {
			h.out("left", map[string]any{"reason": "stopped knocking"})
			return nil
		}
		return err
	}
	return h.run(ctx, call)
}

// joinError turns a refusal into what the user should know and do: the
// server's words (roomsd sends the code's message from the table of codes
// unless it has more to say), the exit code of the code's class, and what
// the CLI's own flags can do about it.
func joinError(server string, err error) error {
	var se *api.SignalError
	if !errors.As(err, &se) {
		return explain(server, err)
	}
	msg := cmp.Or(se.Message, se.Code.Message(), string(se.Code))
	switch se.Code {
	case api.CodeRoomLocked:
		msg += "; add --knock to ask the host to let you in"
	case api.CodeNotOpenYet:
		if se.OpensAt != nil {
			msg = fmt.Sprintf("the room opens at %s; run this again then, or add --wait", se.OpensAt.Local().Format("Mon 2 Jan 15:04 MST"))
		}
	}
	return &exitError{code: exitFor(se.Code), apiCode: se.Code, err: errors.New(msg)}
}

// graphicsChoice reads --graphics, or $ROOMS_GRAPHICS without it.
func graphicsChoice(f *Factory, flag string, headless bool) (termgfx.Choice, error) {
	if flag != "" {
		c, err := termgfx.ParseChoice(flag)
		if err != nil {
			return c, usageErr("--graphics: %w", err)
		}
		return c, nil
	}
	c, err := termgfx.ParseChoice(f.Getenv(termgfx.EnvVar))
	if err != nil && !headless {
		return c, usageErr("$%s: %w", termgfx.EnvVar, err)
	}
	return c, nil
}

// callUI runs the terminal call.
func (f *Factory) callUI(ctx context.Context, t *target, o tui.Options) error {
	r, err := t.c.GetRoom(ctx, t.id)
	if err != nil {
		return explain(t.c.Server(), err)
	}
	o.Room, o.Client, o.Getenv, o.Color = r, t.c, f.Getenv, f.colorMode
	o.Theme, _ = theme.Lookup(r.Theme)
	o.Inbox = f.inboxLines(ctx, t.c.Server(), 3)
	err = tui.Run(ctx, o)
	var ended *tui.EndedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ended) && (errors.Is(err, client.ErrRemoved) || errors.Is(err, client.ErrEnded)):
		return &exitError{code: ExitRefused, err: errors.New(strings.TrimSuffix(ended.Message, "."))}
	case errors.As(err, &ended):
		return joinError(t.c.Server(), ended.Err) // lost connection, refused on rejoin...
	}
	return joinError(t.c.Server(), err)
}
