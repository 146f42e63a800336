//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Seeing each other in a call of many, cheaply: a participant that
// decodes (the default) sees someone when it has decoded their first
// frame and found their test pattern on it (first_frame, pattern_ok); one
// that joined with --decode=false (each decoder costs a share of a core,
// and ten people decoding nine each is 90 decoders on two cores) sees
// someone when a stats event lists a video track from them with frames
// counted and a keyframe's size read. Only events after line from count,
// so a call after a move is checked afresh.

// lineCount is how many lines p has printed so far.
func (p *goPeer) lineCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// eventsFrom is events, counting only lines from index from on.
func (p *goPeer) eventsFrom(from int, want map[string]any) []map[string]any {
	p.mu.Lock()
	lines := append([]string(nil), p.lines[min(from, len(p.lines)):]...)
	p.mu.Unlock()
	var out []map[string]any
	for _, l := range lines {
		if ev, ok := eventMatching(l, want); ok {
			out = append(out, ev)
		}
	}
	return out
}

// eventMatching reads line as a JSON event and says whether it has every
// field in want (compared as text).
func eventMatching(line string, want map[string]any) (map[string]any, bool) {
	var ev map[string]any
	if json.Unmarshal([]byte(line), &ev) != nil {
		return nil, false
	}
	for k, v := range want {
		if fmt.Sprint(ev[k]) != fmt.Sprint(v) {
			return nil, false
		}
	}
	return ev, true
}

// unseen lists the names in others whose video p has not seen since line
// from (decoded with their pattern when decodes, else counted).
func (p *goPeer) unseen(decodes bool, from int, others []string) []string {
	seen := map[string]bool{}
	if decodes {
		for _, ev := range p.eventsFrom(from, map[string]any{"type": "first_frame", "kind": "video", "pattern_ok": true}) {
			seen[fmt.Sprint(ev["name"])] = true
		}
	} else if stats := p.eventsFrom(from, map[string]any{"type": "stats"}); len(stats) > 0 {
		tracks, _ := stats[len(stats)-1]["tracks"].([]any)
		for _, tr := range tracks {
			m, _ := tr.(map[string]any)
			frames, _ := m["frames"].(float64)
			width, _ := m["width"].(float64)
			if m["kind"] == "video" && frames > 0 && width > 0 {
				seen[fmt.Sprint(m["name"])] = true
			}
		}
	}
	var out []string
	for _, n := range others {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// waitSeesEveryone waits (up to within: generous, the machine is shared)
// until p, called name, has seen the video of everyone else in names
// since line from.
func (p *goPeer) waitSeesEveryone(t *testing.T, name string, decodes bool, from int, names []string, within time.Duration) {
	t.Helper()
	others := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == name })
	deadline := time.Now().Add(within)
	var missing []string
	for time.Now().Before(deadline) {
		if missing = p.unseen(decodes, from, others); len(missing) == 0 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	how := "decoded the test pattern of"
	if !decodes {
		how = "counted video frames from"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t.Fatalf("%s never %s %v (in %v); it said:\n%s", name, how, missing, within, strings.Join(p.lines, "\n"))
}

// lineOf is the index of p's first line from index from on that is an
// event with every field in want, or -1.
func (p *goPeer) lineOf(from int, want map[string]any) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := from; i < len(p.lines); i++ {
		if _, ok := eventMatching(p.lines[i], want); ok {
			return i
		}
	}
	return -1
}
