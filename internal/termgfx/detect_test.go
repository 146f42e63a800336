package termgfx

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// pipeTerminal is a terminal made of two pipes: what the program writes
// (its queries) and what the terminal answers, from a testdata file.
type pipeTerminal struct {
	*os.File // the answers
	queries  strings.Builder
}

func (p *pipeTerminal) Write(b []byte) (int, error) { return p.queries.Write(b) }

// scripted is a terminal that answers with the file's bytes, then stays
// silent (the pipe stays open, as a terminal would).
func scripted(t *testing.T, name string) *pipeTerminal {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	go func() { _, _ = w.Write(data) }()
	return &pipeTerminal{File: r}
}

func TestProbe(t *testing.T) {
	tests := []struct {
		file    string
		wantErr bool
		want    Answers
		mode    Mode
		cell    image.Point
	}{
		// Recorded from kitty 0.26.5 and xterm 379 -ti vt340 (Debian 12).
		{file: "kitty.answer", want: Answers{Kitty: true, DA1Seen: true, Cell: image.Pt(7, 17), Window: image.Pt(1554, 952)}, mode: Kitty, cell: image.Pt(7, 17)},
		// The same kitty, also reading a picture from shared memory.
		{file: "kitty-shm.answer", want: Answers{Kitty: true, KittyShm: true, DA1Seen: true, Cell: image.Pt(7, 17), Window: image.Pt(1554, 952)}, mode: Kitty, cell: image.Pt(7, 17)},
		{file: "xterm-vt340.answer", want: Answers{Sixel: true, DA1Seen: true, Colors: 1024, MaxSixel: image.Pt(1000, 864)}, mode: Sixel, cell: image.Pt(8, 16)},
		{file: "xterm.answer", want: Answers{DA1Seen: true}, mode: Blocks, cell: image.Pt(8, 16)},
		{file: "tmux.answer", want: Answers{DA1Seen: true}, mode: Blocks, cell: image.Pt(8, 16)},
		// Garbage around the answers: out-of-range numbers, a malformed
		// cell size, a kitty error and an OSC are all ignored.
		{file: "hostile.answer", want: Answers{DA1Seen: true}, mode: Blocks, cell: image.Pt(8, 16)},
		// An OK for someone else's image id is not ours.
		{file: "tricky-kitty.answer", want: Answers{Sixel: true, DA1Seen: true}, mode: Sixel, cell: image.Pt(8, 16)},
		// No DA1: the wait ends at the timeout, with what came.
		{file: "silent.answer", wantErr: true, want: Answers{Cell: image.Pt(10, 20)}, mode: Blocks, cell: image.Pt(10, 20)},
		// A flood without an answer stops at maxAnswer bytes.
		{file: "flood.answer", wantErr: true, mode: Blocks, cell: image.Pt(8, 16)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			term := scripted(t, tt.file)
			got, err := Probe(context.Background(), term, 300*time.Millisecond)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Probe: err %v, want error %v", err, tt.wantErr)
			}
			got.DA1 = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Probe = %+v, want %+v", got, tt.want)
			}
			if term.queries.String() != Queries {
				t.Errorf("queries sent %q, want %q", term.queries.String(), Queries)
			}
			env := Env{Getenv: func(string) string { return "" }, Cols: 200, Rows: 60, Pixels: image.Pt(1600, 960)}
			caps := Choose(Choice{Auto: true}, got, env)
			if caps.Mode != tt.mode || caps.Cell != tt.cell {
				t.Errorf("Choose = %v %v (%s), want %v %v", caps.Mode, caps.Cell, caps.Why, tt.mode, tt.cell)
			}
		})
	}
}

// A cancelled context ends the wait at once, whatever the timeout.
func TestProbeCancelled(t *testing.T) {
	term := scripted(t, "silent.answer")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Probe(ctx, term, time.Hour); err == nil {
		t.Fatal("Probe with a cancelled context: no error")
	}
}

func TestChoose(t *testing.T) {
	kitty := Answers{Kitty: true, Sixel: true, DA1Seen: true}
	env := func(kv ...string) Env {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return Env{Getenv: func(k string) string { return m[k] }}
	}
	tests := []struct {
		name string
		c    Choice
		ans  Answers
		env  Env
		want Mode
	}{
		{"kitty wins over sixel", Choice{Auto: true}, kitty, env("TERM", "xterm-kitty"), Kitty},
		{"tmux falls back", Choice{Auto: true}, kitty, env("TMUX", "/tmp/tmux-0/default,1,0", "TERM", "tmux-256color"), Blocks},
		{"screen falls back", Choice{Auto: true}, kitty, env("TERM", "screen-256color"), Blocks},
		{"asked for sixel", Choice{Mode: Sixel}, Answers{}, env(), Sixel},
		{"asked for blocks", Choice{Mode: Blocks}, kitty, env(), Blocks},
		{"no answer", Choice{Auto: true}, Answers{}, env(), Blocks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Choose(tt.c, tt.ans, tt.env); got.Mode != tt.want || got.Why == "" {
				t.Errorf("Choose = %v (%q), want %v with a reason", got.Mode, got.Why, tt.want)
			}
		})
	}
}

func TestParseChoice(t *testing.T) {
	for in, want := range map[string]Choice{"": {Auto: true}, "auto": {Auto: true}, "KITTY": {Mode: Kitty}, "sixel": {Mode: Sixel}, "blocks": {Mode: Blocks}} {
		if got, err := ParseChoice(in); err != nil || got != want {
			t.Errorf("ParseChoice(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseChoice("iterm"); err == nil || !strings.Contains(err.Error(), "auto, kitty, sixel or blocks") {
		t.Errorf("ParseChoice(iterm): %v, want an error naming the modes", err)
	}
}
