package tui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/internal/colorenv"
	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/termgfx"
	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// Options start a terminal call.
type Options struct {
	Client *client.Client
	Room   api.Room
	Theme  api.Theme
	Join   client.JoinOptions
	// Video and Audio are the local sources, or nil; CameraNote and
	// MicNote describe them (or why there is none) on the pre-join screen.
	Video, Audio        media.LocalTrack
	CameraNote, MicNote string
	// Screen is shared from the start (it is also in Join.Tracks), or nil;
	// ScreenSource is what s shares: an X display, testsrc, or "" for
	// $DISPLAY.
	Screen       media.LocalTrack
	ScreenSource string
	// Remember keeps the name typed on the pre-join screen for next time.
	Remember func(name string)
	// NoAudio plays no sound.
	NoAudio bool
	// Inbox is shown on the pre-join screen.
	Inbox  []string
	In     io.Reader
	Out    io.Writer
	Getenv func(string) string
	// Color is the --color flag: never draws video as characters, always
	// as auto (the call screen is always on a terminal).
	Color colorenv.Mode
	// Graphics is the --graphics flag: auto asks the terminal whether it
	// shows kitty images or sixel; half blocks otherwise.
	Graphics termgfx.Choice
}

// EndedError says how a call ended when it did not end by leaving:
// Message for the person, Err for the exit code.
type EndedError struct {
	Message string
	Err     error
}

func (e *EndedError) Error() string { return e.Message }
func (e *EndedError) Unwrap() error { return e.Err }

// Run joins the call and runs the terminal UI until the person leaves
// (nil) or the call ends otherwise (*EndedError); refusals to join come
// back as the client's errors.
func Run(ctx context.Context, o Options) error {
	caps, out := graphicsFor(ctx, &o)
	if out == nil && getenvOr(o.Getenv, StatsEnv) != "" {
		// Measuring half blocks: count their bytes too.
		if f, ok := o.Out.(*os.File); ok || o.Out == nil {
			if !ok {
				f = os.Stdout
			}
			out = termgfx.NewOutput(f)
			o.Out = out
		}
	}
	opts, profile := programOptions(ctx, o)
	player, sound := openSound(o.NoAudio)
	if player != nil {
		defer player.Close()
	}
	pre, err := runPrejoin(o, opts, profile, sound)
	if err != nil || pre.Choice() == ChoiceQuit {
		return quietly(err)
	}
	o.Join.Name = pre.Name()
	if o.Remember != nil {
		o.Remember(o.Join.Name)
	}
	cameraOn := o.Video != nil
	if pre.Choice() == ChoiceJoinCameraOff && o.Video != nil {
		o.Video.Gate().SetEnabled(false)
		cameraOn = false
	}
	call, err := join(ctx, o, pre.cfg.Knock)
	if err != nil || call == nil {
		return err
	}
	if !cameraOn && o.Video != nil {
		_ = call.SetMuted(api.KindVideo, true)
	}
	return runCall(ctx, o, call, opts, profile, cameraOn, player, caps, out)
}

// getenvOr is getenv(key), or os.Getenv's when getenv is nil.
func getenvOr(getenv func(string) string, key string) string {
	if getenv == nil {
		return os.Getenv(key)
	}
	return getenv(key)
}

// graphicsFor decides how video is drawn: kitty images or sixel where the
// terminal shows them (and the person did not ask otherwise), half blocks
// elsewhere. For pictures it puts o.Out behind a termgfx.Output, which
// the painter shares with the program's renderer.
func graphicsFor(ctx context.Context, o *Options) (termgfx.Caps, *termgfx.Output) {
	blocks := termgfx.Caps{Mode: termgfx.Blocks}
	if !o.Graphics.Auto && o.Graphics.Mode == termgfx.Blocks {
		return blocks, nil
	}
	f, ok := o.Out.(*os.File)
	if o.Out == nil {
		f, ok = os.Stdout, true
	}
	if !ok || ProfileFor(o.Color, o.Getenv) == termimg.ASCII {
		return blocks, nil
	}
	dctx, cancel := context.WithTimeout(ctx, termgfx.DefaultTimeout)
	defer cancel()
	caps := termgfx.Detect(dctx, o.Graphics, o.Getenv)
	if caps.Mode == termgfx.Blocks {
		return caps, nil
	}
	out := termgfx.NewOutput(f)
	o.Out = out
	return caps, out
}

// programOptions are the options of both programs, and how video is drawn.
func programOptions(ctx context.Context, o Options) ([]tea.ProgramOption, termimg.Profile) {
	opts := []tea.ProgramOption{tea.WithContext(ctx)}
	if o.In != nil {
		opts = append(opts, tea.WithInput(o.In))
	}
	if o.Out != nil {
		opts = append(opts, tea.WithOutput(o.Out))
	}
	profile := ProfileFor(o.Color, o.Getenv)
	// The renderer detects colours on its own and, under tmux, ignores
	// COLORTERM: tiles drawn in truecolor would be cut to 256 colours.
	// It uses what the tiles were drawn for.
	opts = append(opts, tea.WithColorProfile(map[termimg.Profile]colorprofile.Profile{
		termimg.TrueColor: colorprofile.TrueColor, termimg.ANSI256: colorprofile.ANSI256, termimg.ASCII: colorprofile.Ascii,
	}[profile]))
	return opts, profile
}

// openSound opens the sound output, unless told not to; the note says
// where sound goes on the pre-join screen. A nil player plays nothing.
func openSound(noAudio bool) (*media.Player, string) {
	if noAudio {
		return nil, "sound off (--no-audio)"
	}
	player, err := media.OpenPlayer(media.PlayerOptions{})
	if err != nil {
		return nil, "no sound output device — you'll see the call but not hear it"
	}
	return player, "default sound output"
}

// runPrejoin runs the pre-join screen, the sources running for the
// self-view and meter only.
func runPrejoin(o Options, opts []tea.ProgramOption, profile termimg.Profile, sound string) (Prejoin, error) {
	var stops []func()
	pc := PrejoinConfig{Room: o.Room, Theme: o.Theme, Name: o.Join.Name, Camera: o.CameraNote, Mic: o.MicNote,
		HasCamera: o.Video != nil, HasMic: o.Audio != nil, Profile: profile, Sound: sound, Inbox: o.Inbox,
		Knock: o.Room.Locked && o.Join.HostKey == ""}
	if o.Video != nil {
		stops = append(stops, media.StartPreview(o.Video))
		pc.Preview = o.Video.Gate().Preview
	}
	if o.Audio != nil {
		stops = append(stops, media.StartPreview(o.Audio))
		pc.Level = o.Audio.Gate().Level
	}
	fm, err := tea.NewProgram(NewPrejoin(pc), opts...).Run()
	for _, stop := range stops {
		stop()
	}
	if err != nil {
		return Prejoin{}, err
	}
	return fm.(Prejoin), nil
}

// quietly is err, or nil when it only says the program was stopped
// (ctrl+c, a signal, the context).
func quietly(err error) error {
	if errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrInterrupted) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// join joins the call; in a locked room (knock) it knocks, saying so on
// the terminal, and a returning key goes straight in. A nil call with no
// error: the person stopped knocking.
func join(ctx context.Context, o Options, knock bool) (*client.Call, error) {
	if knock || o.Join.Knock {
		o.Join.Knock = true
		o.Join.OnKnocking = func(api.Knocking) {
			out := o.Out
			if out == nil {
				out = os.Stdout
			}
			fmt.Fprintf(out, "🚪 The room is locked: waiting for the host to let you in (at most %d minutes). Ctrl-C stops waiting.\n", int(api.KnockWait.Minutes()))
		}
	}
	call, err := o.Client.Join(ctx, o.Room.ID, o.Join)
	if err != nil && o.Join.Knock && ctx.Err() != nil {
		return nil, nil // stopped knocking
	}
	return call, err
}

// runCall runs the call screen with the goroutines that feed it (events,
// what is on screen, stats) until it ends, then says goodbye and stops
// them.
func runCall(ctx context.Context, o Options, call *client.Call, opts []tea.ProgramOption, profile termimg.Profile, cameraOn bool, player *media.Player, caps termgfx.Caps, out *termgfx.Output) error {
	frames := NewFrames()
	ctrl := &controls{ctx: ctx, call: call, video: o.Video, audio: o.Audio, screen: o.Screen, screenSource: o.ScreenSource, getenv: o.Getenv}
	defer ctrl.stopShare()
	cfg := Config{
		Room: o.Room, Theme: o.Theme, Me: call.Me(), Frames: frames, Controls: ctrl,
		Profile: profile, MicOn: o.Audio != nil, CameraOn: cameraOn,
		NoMic: o.Audio == nil, NoCamera: o.Video == nil, Sharing: o.Screen != nil,
	}
	if o.Video != nil {
		cfg.SelfView = func() image.Image { return o.Video.Gate().Preview() }
	}
	paintCtx, stopPainting := context.WithCancel(context.Background())
	defer stopPainting()
	var painting sync.WaitGroup
	if out != nil && caps.Mode != termgfx.Blocks {
		cfg.Graphics = termgfx.NewPainter(caps, out, GraphicsSource(frames, cfg.SelfView), rgb(o.Theme.Palette.Background))
		cfg.cacheView = true
	}
	model := New(cfg)
	p := tea.NewProgram(model, opts...)
	if path := getenvOr(o.Getenv, StatsEnv); path != "" && out != nil {
		frames := model.tiles.drawn.Load
		if g := cfg.Graphics; g != nil {
			frames = g.Frames
		}
		painting.Add(1)
		go func() {
			defer painting.Done()
			_ = writeStats(paintCtx, path, caps.Mode, out, frames, cfg.Frames.Decoded)
		}()
	}
	if g := cfg.Graphics; g != nil {
		// The painter waits for the program to take it (or to end).
		g.OnStale(func() { p.Send(tea.ClearScreen()) })
		painting.Add(1)
		go func() {
			defer painting.Done()
			g.Run(paintCtx, termgfx.PaintEvery)
		}()
	}

	var wg sync.WaitGroup
	decodeCtx, stopDecoders := context.WithCancel(context.Background())
	defer stopDecoders()
	views := newViewSync()
	wg.Add(3)
	go func() {
		defer wg.Done()
		pump(decodeCtx, call, ctrl, views, frames, player, p, &wg)
	}()
	go func() {
		defer wg.Done()
		views.run(decodeCtx, call, frames)
	}()
	go func() {
		defer wg.Done()
		stats(decodeCtx, call, p)
	}()
	final, err := p.Run()
	stopPainting()
	painting.Wait()
	// Say goodbye (the others see us leave now, not after the grace
	// period), whatever ended the program: q, --duration, a signal.
	lctx, lcancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = call.Leave(lctx)
	lcancel()
	stopDecoders()
	wg.Wait()
	if err = quietly(err); err != nil {
		return err
	}
	if m, ok := final.(Model); ok && m.Err() != nil {
		return &EndedError{Message: m.Over(), Err: m.Err()}
	}
	return nil
}

// pump forwards call events to the program and starts a decoder for each
// remote video track.
func pump(ctx context.Context, call *client.Call, ctrl *controls, views *viewSync, frames *Frames, player *media.Player, p *tea.Program, wg *sync.WaitGroup) {
	for ev := range call.Events() {
		views.event(ev)
		switch e := ev.(type) {
		case client.ServerError:
			if e.Code == api.CodeScreenShareLimit {
				// No slot for our screen: take it back before the screen
				// says so.
				ctrl.stopShare()
			}
		case client.RemoteTrack:
			wg.Add(1)
			go func() {
				defer wg.Done()
				receive(ctx, call, e, frames, player)
			}()
		case client.ParticipantLeft:
			if player != nil {
				player.Remove(e.ID)
			}
		}
		p.Send(EventMsg{Event: ev})
	}
}

// receive decodes a remote track: video into frames, audio into the
// player (or, without sound, reads it so its buffers drain).
func receive(ctx context.Context, call *client.Call, rt client.RemoteTrack, frames *Frames, player *media.Player) {
	if rt.Track.Kind() != webrtc.RTPCodecTypeVideo {
		if player != nil {
			id := rt.Info.ParticipantID
			_ = media.DecodeAudio(ctx, rt.Track, func(pcm []int16, rate, ch int) { player.Write(id, pcm, rate, ch) })
			return
		}
		for ctx.Err() == nil {
			if _, _, err := rt.Track.ReadRTP(); err != nil {
				return
			}
		}
		return
	}
	id := rt.Info.ParticipantID
	if rt.Info.Kind == api.KindScreen {
		id = screenKey(id)
	}
	_ = media.DecodeVideoWhen(ctx, rt.Track, func() bool { return frames.Shown(id) },
		func(f media.Frame) { frames.Put(id, f.Image) }, func() { _ = call.RequestKeyframe(rt.Track) })
}

// stats sends connection quality every two seconds.
func stats(ctx context.Context, call *client.Call, p *tea.Program) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	var lastBytes uint64
	var lastRecv uint32
	var lastLost int32
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st, rtt := call.Stats()
		var bytes uint64
		var recv uint32
		var lost int32
		for _, s := range st {
			bytes += s.BytesReceived
			recv += s.PacketsReceived
			lost += s.PacketsLost
		}
		msg := StatsMsg{RTT: time.Duration(rtt * float64(time.Second))}
		if bytes >= lastBytes {
			msg.Kbps = int(float64(bytes-lastBytes) * 8 / 2 / 1000)
		}
		if dr, dl := int64(recv)-int64(lastRecv), int64(lost)-int64(lastLost); dr+dl > 0 && dl > 0 {
			msg.Loss = float64(dl) / float64(dr+dl)
		}
		lastBytes, lastRecv, lastLost = bytes, recv, lost
		p.Send(msg)
	}
}

// controls carries out the screen's requests on the call.
type controls struct {
	ctx          context.Context
	call         *client.Call
	video, audio media.LocalTrack
	screenSource string
	getenv       func(string) string

	mu     sync.Mutex // the program and the event pump both stop a share
	screen media.LocalTrack
}

// ShareScreen opens the screen and publishes it, or stops sharing.
func (c *controls) ShareScreen(on bool) error {
	if !on {
		c.stopShare()
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.screen != nil {
		return nil
	}
	t, err := media.OpenScreen(c.ctx, media.ScreenOptions{Source: c.screenSource, Getenv: c.getenv})
	if errors.Is(err, media.ErrNoDisplay) {
		// The full story is in rooms join --help; the call's notice line
		// has room for one short sentence.
		return errors.New("can't share: no X display here (DISPLAY unset or unreachable); rejoin with --display :N (an Xvfb one works)")
	}
	if err != nil {
		return fmt.Errorf("cannot share your screen: %w", err)
	}
	if err := c.call.Publish(client.LocalTrack{Track: t.Track(), Kind: api.KindScreen, Bitrates: t.Bitrates(), OnBitrate: t.SetBitrates}); err != nil {
		_ = t.Close()
		return fmt.Errorf("cannot share your screen: %w", err)
	}
	c.screen = t
	return nil
}

// stopShare unpublishes and closes the shared screen, if any.
func (c *controls) stopShare() {
	c.mu.Lock()
	t := c.screen
	c.screen = nil
	c.mu.Unlock()
	if t == nil {
		return
	}
	_ = c.call.Unpublish(t.Track().ID())
	_ = t.Close()
}

// SetMic turns the microphone's gate on or off and tells the others.
func (c *controls) SetMic(on bool) error {
	if c.audio != nil {
		c.audio.Gate().SetEnabled(on)
	}
	if err := c.call.SetMuted(api.KindAudio, !on); err != nil {
		return fmt.Errorf("the others were not told your mic is %s: %w", onOff(on), err)
	}
	return nil
}

// SetCamera turns the camera's gate on or off and tells the others.
func (c *controls) SetCamera(on bool) error {
	if c.video != nil {
		c.video.Gate().SetEnabled(on)
	}
	if err := c.call.SetMuted(api.KindVideo, !on); err != nil {
		return fmt.Errorf("the others were not told your camera is %s: %w", onOff(on), err)
	}
	return nil
}

// SendChat sends a chat message.
func (c *controls) SendChat(text string) error {
	if err := c.call.SendChat(text); err != nil {
		return fmt.Errorf("your message was not sent: %w", err)
	}
	return nil
}

// Host does a host action; admit and deny name a knock, the others a
// participant. The server's refusals arrive as events.
func (c *controls) Host(action, target string) error {
	var err error
	switch action {
	case "admit":
		err = c.call.Admit(target)
	case "deny":
		err = c.call.Deny(target)
	default:
		err = c.call.Host(action, target)
	}
	if err != nil {
		return fmt.Errorf("could not %s: %w", action, err)
	}
	return nil
}

// Leave says goodbye and closes the call; the Closed event that follows
// ends the program.
func (c *controls) Leave() { _ = c.call.Leave(c.ctx) }

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// ProfileFromEnv picks how video is drawn from what the terminal says it
// supports: truecolor half blocks, 256 colours, or plain characters.
func ProfileFromEnv(getenv func(string) string) termimg.Profile {
	return ProfileFor(colorenv.Auto, getenv)
}

// ProfileFor is ProfileFromEnv under a --color mode. Whether there is
// colour at all is colorenv's rule, the CLI's: the call screen is on a
// terminal, so only --color never, NO_COLOR (non-empty) or TERM=dumb turn
// it off.
func ProfileFor(mode colorenv.Mode, getenv func(string) string) termimg.Profile {
	if getenv == nil {
		getenv = os.Getenv
	}
	ct := strings.ToLower(getenv("COLORTERM"))
	term := getenv("TERM")
	switch {
	case !colorenv.Enabled(mode, true, getenv):
		return termimg.ASCII
	case ct == "truecolor" || ct == "24bit" || strings.Contains(term, "direct") || strings.HasPrefix(term, "xterm-kitty"):
		return termimg.TrueColor
	case strings.Contains(term, "256"):
		return termimg.ANSI256
	}
	return termimg.TrueColor
}
