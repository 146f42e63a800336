//go:build e2e

package e2e

// The call screen in real terminals under Xvfb: `rooms join` asks the
// terminal what it can show and draws video as kitty images in kitty, as
// sixel in xterm -ti vt340, and as half blocks inside tmux (even when the
// terminal around tmux has sixel). Each joins a call with a test-pattern
// camera and a shared 1920x1080 screen of "text" (2-pixel lines every 6
// pixels), and a screenshot of the terminal must show the pattern's
// colours and, at the terminal's resolution, the text lines one by one;
// in half blocks the lines blur into grey, and that must be what tmux
// shows.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rooms-dev/rooms/internal/media"
	"github.com/rooms-dev/rooms/internal/xvfbtest"
	"github.com/rooms-dev/rooms/pkg/api"
)

// needTools skips (or, under CI, fails) when a program the test drives is
// missing.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			msg := fmt.Sprintf("%s is missing; scripts/bootstrap installs it", n)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// terminalRun is one terminal showing the call.
type terminalRun struct {
	name string
	// argv starts the terminal running script (a shell script).
	argv func(script string) []string
	// sharp says the text lines must be told apart (kitty, sixel), or
	// must not be (half blocks).
	sharp bool
	// dithered says flat colours come out dithered (sixel's fixed
	// palette), or exact (kitty's RGB); nil: either (tmux may cut
	// colours to 256).
	dithered *bool
	// cleanup runs after the terminal is stopped.
	cleanup func()
}

func TestGraphicsInRealTerminals(t *testing.T) {
	needTools(t, "Xvfb", "kitty", "xterm", "tmux", "xdotool", "import")
	s := startServer(t)
	r, err := s.c.CreateRoom(context.Background(), api.CreateRoomRequest{Name: "Pixels"})
	if err != nil {
		t.Fatal(err)
	}
	// ann shares a 1920x1080 display painted with the text page, and
	// sends the test pattern as her camera.
	shared := xvfbtest.Start(t, 1920, 1080)
	if err := xvfbtest.Paint(shared, media.ScreenPattern(1920, 1080, 0)); err != nil {
		t.Fatal(err)
	}
	ann := startPeerWith(t, s, r.ID, "--name", "ann", "--video", "testsrc", "--screen", shared)
	ann.waitEvent(t, map[string]any{"type": "joined"})

	tmuxSock := fmt.Sprintf("rooms-e2e-%d", os.Getpid())
	runs := []terminalRun{
		{name: "kitty", sharp: true, dithered: ptr(false), argv: func(script string) []string {
			return []string{"kitty", "-o", "font_size=12", "-o", "initial_window_width=160c", "-o", "initial_window_height=48c",
				"-o", "remember_window_size=no", "-o", "enable_audio_bell=no", "sh", script}
		}},
		{name: "xterm-sixel", sharp: true, dithered: ptr(true), argv: func(script string) []string {
			return []string{"xterm", "-ti", "vt340", "-geometry", "160x48", "-fa", "Monospace", "-fs", "12", "-bg", "black", "-fg", "white",
				"-xrm", "XTerm*maxGraphicSize: 2048x2048", "-e", "sh", script}
		}},
		// tmux inside a sixel xterm: the call must not try to pass
		// pictures through it.
		{name: "tmux", sharp: false, argv: func(script string) []string {
			return []string{"xterm", "-ti", "vt340", "-geometry", "160x48", "-fa", "Monospace", "-fs", "12", "-bg", "black", "-fg", "white",
				"-e", "tmux", "-L", tmuxSock, "-f", "/dev/null", "new-session", "sh", script}
		}, cleanup: func() { _ = exec.Command("tmux", "-L", tmuxSock, "kill-server").Run() }},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			display := xvfbtest.Start(t, 1920, 1080)
			name := "viewer-" + run.name
			dir := t.TempDir()
			script := filepath.Join(dir, "join.sh")
			body := fmt.Sprintf("#!/bin/sh\nexec %s join %s --name %s --no-audio --video none 2>%s\n",
				filepath.Join(binDir, "rooms"), r.ID, name, filepath.Join(dir, "stderr"))
			if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			argv := run.argv(script)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), "DISPLAY="+display, "ROOMS_SERVER="+s.url, "XDG_STATE_HOME="+filepath.Join(dir, "state"),
				"XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "LIBGL_ALWAYS_SOFTWARE=1", "COLORTERM=truecolor")
			// Not inherited from a test run inside tmux.
			cmd.Env = append(cmd.Env, "TMUX=", "ROOMS_GRAPHICS=")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
				_ = cmd.Wait()
				if run.cleanup != nil {
					run.cleanup()
				}
			})

			// Enter on the pre-join screen joins; press it until ann sees
			// the viewer arrive.
			joined, presses := false, 0
			for ; presses < 6 && !joined; presses++ {
				time.Sleep(3 * time.Second)
				x := exec.Command("xdotool", "mousemove", "400", "300", "key", "Return")
				x.Env = append(os.Environ(), "DISPLAY="+display)
				_ = x.Run()
				joined = ann.seen(map[string]any{"type": "participant_joined", "name": name}, 10*time.Second)
			}
			if !joined {
				stderr, _ := os.ReadFile(filepath.Join(dir, "stderr"))
				t.Fatalf("%s never joined; terminal said:\n%s\nrooms said:\n%s", name, out.String(), stderr)
			}

			deadline := time.Now().Add(90 * time.Second)
			var last screenFacts
			var shot []byte
			for time.Now().Before(deadline) {
				time.Sleep(2 * time.Second)
				shot, last = screenshot(t, display)
				if last.colours && last.screen && (last.lines >= 30) == run.sharp &&
					(run.dithered == nil || (last.exact < 200) == *run.dithered) {
					path := filepath.Join(os.TempDir(), "rooms-e2e-graphics-"+run.name+".png")
					_ = os.WriteFile(path, shot, 0o644)
					t.Logf("%s: %+v after %d presses of enter; screenshot in %s", run.name, last, presses, path)
					return
				}
			}
			path := filepath.Join(os.TempDir(), "rooms-e2e-graphics-"+run.name+".png")
			_ = os.WriteFile(path, shot, 0o644)
			stderr, _ := os.ReadFile(filepath.Join(dir, "stderr"))
			t.Fatalf("%s: the screenshot (%s) shows %+v, want colours and text lines told apart %v; rooms said:\n%s",
				run.name, path, last, run.sharp, stderr)
		})
	}
}

// seen waits up to within for a JSON event with every field in want.
func (p *goPeer) seen(want map[string]any, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for {
		if len(p.events(want)) > 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// screenFacts is what a screenshot shows of the call.
type screenFacts struct {
	// colours: the camera test pattern's red, green and blue bars.
	colours bool
	// screen: the shared screen's teal and orange quadrants.
	screen bool
	// lines is the most dark/light alternations down one column: the
	// shared page's text lines, when they are drawn apart.
	lines int
	// exact counts pixels of exactly the screen's teal or orange, which
	// sixel's palette does not have (it dithers them).
	exact int
}

func ptr[T any](v T) *T { return &v }

// screenshot takes the display's picture and reads it.
func screenshot(t *testing.T, display string) ([]byte, screenFacts) {
	t.Helper()
	cmd := exec.Command("import", "-display", display, "-window", "root", "png:-")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("screenshot of %s: %v: %s", display, err, errb.String())
	}
	img, err := png.Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", display, err)
	}
	return out.Bytes(), readScreen(img)
}

// readScreen finds the test pictures' colours and counts text lines.
func readScreen(img image.Image) screenFacts {
	b := img.Bounds()
	near := func(r, g, bl, R, G, B uint32) bool {
		d := func(a, b uint32) uint32 {
			if a > b {
				return a - b
			}
			return b - a
		}
		return d(r, R) < 40 && d(g, G) < 40 && d(bl, B) < 40
	}
	var red, green, blue, teal, orange int
	var f screenFacts
	for x := b.Min.X; x < b.Max.X; x++ {
		state, flips, mid := 0, 0, 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			r32, g32, b32, _ := img.At(x, y).RGBA()
			r, g, bl := r32>>8, g32>>8, b32>>8
			switch {
			case near(r, g, bl, 255, 0, 0):
				red++
			case near(r, g, bl, 0, 255, 0):
				green++
			case near(r, g, bl, 0, 0, 255):
				blue++
			case near(r, g, bl, 0, 150, 136):
				teal++
				if r < 4 && g >= 146 && g <= 154 && bl >= 132 && bl <= 140 {
					f.exact++
				}
			case near(r, g, bl, 255, 112, 0):
				orange++
				if r > 251 && g >= 108 && g <= 116 && bl < 4 {
					f.exact++
				}
			}
			l := (299*r + 587*g + 114*bl) / 1000
			switch {
			case l < 110:
				if state == 1 {
					flips++
				}
				state, mid = -1, 0
			case l > 180:
				if state == -1 {
					flips++
				}
				state, mid = 1, 0
			default:
				// A run of mid tones ends the stretch: the page's lines
				// are dark or light, with at most a partly covered row
				// between.
				mid++
				if mid > 3 {
					if flips > f.lines {
						f.lines = flips
					}
					state, flips = 0, 0
				}
			}
		}
		if flips > f.lines {
			f.lines = flips
		}
	}
	f.colours = red > 400 && green > 400 && blue > 400
	f.screen = teal > 400 && orange > 400
	return f
}
