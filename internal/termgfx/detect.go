package termgfx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"
)

// Terminal is a terminal to ask: queries are written to it, answers read
// from it, and a read stops at its deadline (an *os.File of a tty or a
// pipe).
type Terminal interface {
	io.ReadWriter
	SetReadDeadline(time.Time) error
}

// Queries, in the order they are sent. Every terminal answers the primary
// device attributes (DA1), so its answer, sent last, ends the wait; the
// others are answered only by terminals that know them.
const (
	// kittyQuery asks whether a 1×1 RGB image would be accepted (a=q:
	// nothing is stored or shown).
	kittyQuery = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
	// colorsQuery asks how many sixel colour registers there are
	// (XTSMGRAPHICS).
	colorsQuery = "\x1b[?1;1;0S"
	// sizeQuery asks how large a sixel image may be (XTSMGRAPHICS):
	// xterm drops larger ones whole.
	sizeQuery   = "\x1b[?2;1;0S"
	cellQuery   = "\x1b[16t" // cell size in pixels
	windowQuery = "\x1b[14t" // text area size in pixels
	da1Query    = "\x1b[c"
	// Queries is everything Probe sends (with the extra queries it is
	// given before the last).
	Queries = kittyQuery + colorsQuery + sizeQuery + cellQuery + windowQuery + da1Query
)

// maxAnswer bounds what Detect reads: the answers above are well under
// 200 bytes; more is a terminal (or something pretending to be one)
// talking nonsense.
const maxAnswer = 4096

// DefaultTimeout is how long Detect waits for the answers when the context
// has no earlier deadline. Terminals answer within milliseconds locally;
// over a slow link the wait ends at this with half blocks.
const DefaultTimeout = 1500 * time.Millisecond

// Answers is what a terminal said to the queries.
type Answers struct {
	// Kitty: the kitty graphics query was answered OK.
	Kitty bool
	// KittyShm: the query of a picture in shared memory was answered
	// OK: the terminal runs on this machine and reads pictures from
	// there, not through the terminal's line.
	KittyShm bool
	// DA1 are the primary device attributes; DA1Seen says they came.
	DA1     []int
	DA1Seen bool
	// Sixel: the attributes include 4 (sixel graphics).
	Sixel bool
	// Cell (CSI 16 t) and Window (CSI 14 t) in pixels, zero if not said.
	Cell, Window image.Point
	// Colors is the number of sixel colour registers (XTSMGRAPHICS).
	Colors int
	// MaxSixel is the largest sixel image the terminal shows, in pixels
	// (XTSMGRAPHICS), zero if not said.
	MaxSixel image.Point
}

// Probe sends the queries to t and reads the answers until the DA1 answer
// arrives, maxAnswer bytes were read, ctx ends or timeout passes. A
// terminal that never answers costs the timeout and yields empty Answers
// and an error saying so; partial answers are kept.
func Probe(ctx context.Context, t Terminal, timeout time.Duration, extra ...string) (Answers, error) {
	q := strings.TrimSuffix(Queries, da1Query) + strings.Join(extra, "") + da1Query
	if _, err := t.Write([]byte(q)); err != nil {
		return Answers{}, fmt.Errorf("ask the terminal what it can show: %w", err)
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var got []byte
	buf := make([]byte, 512)
	for len(got) < maxAnswer {
		if err := ctx.Err(); err != nil {
			return ParseAnswers(got), fmt.Errorf("ask the terminal what it can show: %w", err)
		}
		// Wake up now and then to notice a cancelled context.
		wake := min(time.Until(deadline), 100*time.Millisecond)
		if wake <= 0 {
			return ParseAnswers(got), errors.New("the terminal did not answer in time")
		}
		if err := t.SetReadDeadline(time.Now().Add(wake)); err != nil {
			return ParseAnswers(got), fmt.Errorf("read the terminal's answer: %w", err)
		}
		n, err := t.Read(buf[:min(len(buf), maxAnswer-len(got))])
		got = append(got, buf[:n]...)
		if a := ParseAnswers(got); a.DA1Seen {
			return a, nil
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return ParseAnswers(got), fmt.Errorf("read the terminal's answer: %w", err)
		}
	}
	return ParseAnswers(got), fmt.Errorf("the terminal's answer ran past %d bytes", maxAnswer)
}

// ParseAnswers finds the answers to Queries in what a terminal sent,
// skipping anything else (keys typed meanwhile, unknown sequences).
func ParseAnswers(b []byte) Answers {
	var a Answers
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0x1b)
		if i < 0 || i+1 >= len(b) {
			break
		}
		b = b[i+1:]
		switch b[0] {
		case '_': // APC … ST
			end := bytes.Index(b, []byte("\x1b\\"))
			if end < 0 {
				return a
			}
			body := string(b[1:end])
			if ctrl, msg, ok := strings.Cut(strings.TrimPrefix(body, "G"), ";"); ok && strings.HasPrefix(body, "G") && msg == "OK" {
				keys := strings.Split(ctrl, ",")
				a.Kitty = a.Kitty || slices.Contains(keys, "i=31")
				a.KittyShm = a.KittyShm || slices.Contains(keys, "i="+strconv.Itoa(shmQueryID))
			}
			b = b[end+2:]
		case '[': // CSI params final
			j := 1
			for j < len(b) && (b[j] >= 0x20 && b[j] <= 0x3f) {
				j++
			}
			if j >= len(b) {
				return a
			}
			params, final := string(b[1:j]), b[j]
			b = b[j+1:]
			a.csi(params, final)
		}
	}
	return a
}

// csi takes one CSI answer.
func (a *Answers) csi(params string, final byte) {
	private := strings.HasPrefix(params, "?")
	nums := numbers(strings.TrimPrefix(params, "?"))
	switch {
	case private && final == 'c':
		a.DA1, a.DA1Seen = nums, true
		for _, n := range nums[min(1, len(nums)):] { // the first is the terminal's class
			if n == 4 {
				a.Sixel = true
			}
		}
	case private && final == 'S' && len(nums) == 3 && nums[0] == 1 && nums[1] == 0:
		if nums[2] > 0 && nums[2] <= 1<<16 {
			a.Colors = nums[2]
		}
	case private && final == 'S' && len(nums) == 4 && nums[0] == 2 && nums[1] == 0:
		if nums[2] >= 1 && nums[3] >= 1 {
			a.MaxSixel = image.Pt(nums[2], nums[3])
		}
	case !private && final == 't' && len(nums) == 3:
		p := image.Pt(nums[2], nums[1])
		switch nums[0] {
		case 6:
			if p.X >= 1 && p.X <= 1000 && p.Y >= 1 && p.Y <= 1000 {
				a.Cell = p
			}
		case 4:
			if p.X >= 1 && p.X <= 100000 && p.Y >= 1 && p.Y <= 100000 {
				a.Window = p
			}
		}
	}
}

// numbers parses "1;2;3"; a field that is not a small number is -1.
func numbers(s string) []int {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	if len(parts) > 32 {
		parts = parts[:32]
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 1<<20 {
			n = -1
		}
		out[i] = n
	}
	return out
}

// Env is what Choose knows about the terminal besides its answers.
type Env struct {
	Getenv func(string) string
	// Cols, Rows and Pixels are the terminal's size (TIOCGWINSZ); Pixels
	// is zero where the terminal does not say.
	Cols, Rows int
	Pixels     image.Point
}

// InTmux says whether the program runs inside tmux or screen, which pass
// image sequences on only when configured to, and then place them where
// their own renderer does not expect.
func InTmux(getenv func(string) string) bool {
	term := getenv("TERM")
	return getenv("TMUX") != "" || getenv("STY") != "" || strings.HasPrefix(term, "tmux") || strings.HasPrefix(term, "screen")
}

// Choose picks the mode from what was asked and what the terminal answered
// (ans may be empty when it was not asked).
func Choose(c Choice, ans Answers, env Env) Caps {
	caps := Caps{Cell: cellSize(ans, env), Colors: ans.Colors, MaxSixel: ans.MaxSixel, SharedMemory: ans.KittyShm}
	if !c.Auto {
		caps.Mode, caps.Why = c.Mode, "asked for"
		return caps
	}
	switch {
	case InTmux(env.Getenv):
		caps.Why = "inside tmux or screen: half blocks (images do not pass through them reliably)"
	case ans.Kitty:
		caps.Mode, caps.Why = Kitty, "the terminal accepted a kitty graphics query"
	case ans.Sixel:
		caps.Mode, caps.Why = Sixel, "the terminal's device attributes include sixel"
	case !ans.DA1Seen:
		caps.Why = "the terminal did not answer: half blocks"
	default:
		caps.Why = "no kitty graphics or sixel: half blocks"
	}
	if caps.Mode != Blocks && caps.Cell == (image.Point{}) {
		caps.Why += " (cell size unknown: assuming 10×20 pixels)"
	}
	return caps
}

// cellSize is the cell's size in pixels: the terminal's CSI 16 t answer,
// or the window's pixels (CSI 14 t, else TIOCGWINSZ) over its cells.
func cellSize(ans Answers, env Env) image.Point {
	if ans.Cell != (image.Point{}) {
		return ans.Cell
	}
	for _, px := range []image.Point{ans.Window, env.Pixels} {
		if px.X > 0 && px.Y > 0 && env.Cols > 0 && env.Rows > 0 {
			if c := image.Pt(px.X/env.Cols, px.Y/env.Rows); c.X >= 1 && c.Y >= 1 && c.X <= 1000 && c.Y <= 1000 {
				return c
			}
		}
	}
	return image.Point{}
}

// Detect opens the controlling terminal, and, unless the choice is a
// mode, tmux, or $TERM says the terminal is too plain to ask, asks it what
// it can show. Whatever fails, the answer is usable: half blocks.
func Detect(ctx context.Context, c Choice, getenv func(string) string) Caps {
	if getenv == nil {
		getenv = os.Getenv
	}
	env := Env{Getenv: getenv}
	if !c.Auto && c.Mode == Blocks {
		return Choose(c, Answers{}, env)
	}
	if t := getenv("TERM"); c.Auto && (InTmux(getenv) || t == "dumb" || t == "linux" || t == "") {
		caps := Choose(c, Answers{}, env)
		if caps.Why == "" || caps.Mode == Blocks && !InTmux(getenv) {
			caps.Why = "TERM=" + t + ": half blocks"
		}
		return caps
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		caps := Choose(c, Answers{}, env)
		if c.Auto {
			caps.Why = "no terminal to ask: half blocks"
		}
		return caps
	}
	defer tty.Close()
	if ws, err := getWinsize(tty); err == nil {
		env.Cols, env.Rows, env.Pixels = ws.cols, ws.rows, image.Pt(ws.xpix, ws.ypix)
	}
	old, err := term.MakeRaw(int(tty.Fd()))
	if err != nil {
		caps := Choose(c, Answers{}, env)
		if c.Auto {
			caps.Why = "the terminal cannot be asked (raw mode): half blocks"
		}
		return caps
	}
	defer term.Restore(int(tty.Fd()), old) //nolint:errcheck
	var extra []string
	if q, cleanup, err := shmQuery(); err == nil {
		defer cleanup()
		extra = append(extra, q)
	}
	ans, _ := Probe(ctx, tty, DefaultTimeout, extra...)
	return Choose(c, ans, env)
}
