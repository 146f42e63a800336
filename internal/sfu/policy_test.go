package sfu

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// policyRig drives a layerPolicy as its owner does, with a publisher of
// three layers (q 160x120, h 320x240, f 640x480) and subscribers' bindings
// standing in for the packet path: no network, no clock.
type policyRig struct {
	pol     *layerPolicy
	binds   []bindState
	present uint8 // layers the publisher sent
	flowing uint8 // layers it sends now (unless suspended: it obeys)
	keyed   uint8 // layers a keyframe of was seen
	lastAt  [maxLayers]int64
	changes int // reselects that changed the layers suspended
}

var rigSizes = [maxLayers]tileSize{{160, 120}, {320, 240}, {640, 480}}

// pev is one event of a policy test.
type pev struct {
	kind   string // see policyRig.apply
	layers uint8
	ssrc   uint32
	size   tileSize
	paused bool
	area   int64 // a bandwidth grant's cap
}

func (r *policyRig) bind(ssrc uint32) *bindState {
	for i := range r.binds {
		if r.binds[i].ssrc == ssrc {
			return &r.binds[i]
		}
	}
	return nil
}

// apply is what the owner does with one event at now.
func (r *policyRig) apply(e pev, now int64) {
	switch e.kind {
	case "publish": // layers start arriving, no keyframe yet
		r.present |= e.layers
		r.flowing |= e.layers
	case "keyframe": // a keyframe of each arrives
		r.keyed |= e.layers
	case "stop": // the publisher stops sending them of its own accord
		r.flowing &^= e.layers
	case "subscribe":
		r.pol.subscribe(e.ssrc, e.size, e.paused, now)
		want := int8(-1)
		if !r.pol.simulcast {
			want = 0
		}
		r.binds = append(r.binds, bindState{ssrc: e.ssrc, cur: want, want: want, paused: e.paused})
	case "view":
		b := r.bind(e.ssrc)
		b.paused = e.paused
		r.pol.view(e.ssrc, e.size, e.paused, b)
		r.reselect(now)
	case "budget": // a bandwidth grant: a cap on the area, or paused
		b := r.bind(e.ssrc)
		if paused, changed := r.pol.budget(e.ssrc, e.area, e.paused, b); changed {
			b.paused = paused
			r.reselect(now)
		}
	case "pli":
		r.pol.keyframeFor(r.bind(e.ssrc))
	case "connected":
		r.pol.connected(r.binds)
	case "forget":
		r.pol.forget(e.ssrc)
	case "tick":
		r.reselect(now)
	case "switch": // the packet path: each binding takes the layer it wants at its keyframe
		for i := range r.binds {
			if b := &r.binds[i]; b.want >= 0 && r.keyed&(1<<b.want) != 0 {
				b.cur = b.want
			}
		}
	default:
		panic("unknown event " + e.kind)
	}
}

func (r *policyRig) reselect(now int64) {
	if r.pol.reselect(r.binds, now) {
		r.changes++
	}
}

// see gives the policy what the layers' readers saw by now: a layer
// flowing and not suspended had a packet just now.
func (r *policyRig) see(now int64) {
	for i := range int8(maxLayers) {
		bit := uint8(1) << i
		if r.present&bit == 0 {
			continue
		}
		if r.flowing&bit != 0 && !r.pol.layers[i].suspended {
			r.lastAt[i] = now
		}
		var sz tileSize
		if r.keyed&bit != 0 {
			sz = rigSizes[i]
		}
		r.pol.sawLayer(i, string("qhf"[i]), sz.w, sz.h, r.lastAt[i])
	}
}

// pstep is events at a time (ms from the start), then what must hold:
// the layer each binding wants (nil: not checked), the layers suspended
// and the keyframes asked for now (-1: not checked), and how many
// reselects have changed the suspended layers so far (-1: not checked).
type pstep struct {
	at        int
	evs       []pev
	want      []int8
	suspended int
	keys      int
	changes   int
}

func TestLayerPolicy(t *testing.T) {
	all := uint8(0b111)
	tests := []struct {
		name      string
		simulcast bool
		steps     []pstep
	}{
		{"the view's size picks the layer", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1}, {kind: "tick"}}, []int8{2}, -1, -1, -1},
			{100, []pev{{kind: "view", ssrc: 1, size: tileSize{80, 60}}}, []int8{0}, -1, -1, -1},
			{200, []pev{{kind: "view", ssrc: 1, size: tileSize{300, 220}}}, []int8{1}, -1, -1, -1},
			{300, []pev{{kind: "view", ssrc: 1, size: tileSize{1280, 720}}}, []int8{2}, -1, -1, -1},
			{400, []pev{{kind: "view", ssrc: 1, size: tileSize{160, 120}}}, []int8{0}, -1, -1, -1},
			{500, []pev{{kind: "view", ssrc: 1, size: tileSize{144, 108}}}, []int8{0}, -1, -1, -1}, // within a tenth
			{600, []pev{{kind: "view", ssrc: 1}}, []int8{2}, -1, -1, -1},
		}},
		{"two subscribers, each its own layer", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all},
				{kind: "subscribe", ssrc: 1, size: tileSize{80, 60}}, {kind: "subscribe", ssrc: 2, size: tileSize{320, 240}}, {kind: "tick"}}, []int8{0, 1}, -1, -1, -1},
			{100, []pev{{kind: "forget", ssrc: 1}, {kind: "tick"}}, []int8{2, 1}, -1, -1, -1}, // forgotten: its view with it, until pion unbinds it
		}},
		{"a bandwidth grant caps the layer, pauses and resumes with a keyframe", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1}, {kind: "tick"}, {kind: "switch"}}, []int8{2}, -1, -1, -1},
			{600, []pev{{kind: "budget", ssrc: 1, area: 320 * 240}, {kind: "switch"}}, []int8{1}, -1, 0b010, -1},
			{1200, []pev{{kind: "budget", ssrc: 1, area: 160 * 120}, {kind: "switch"}}, []int8{0}, -1, 0b001, -1},
			{1300, []pev{{kind: "budget", ssrc: 1, area: 100}, {kind: "tick"}}, []int8{0}, -1, -1, -1}, // below the smallest: the smallest
			{1400, []pev{{kind: "view", ssrc: 1, size: tileSize{1280, 720}}}, []int8{0}, -1, -1, -1},   // the grant holds a larger tile down
			{2000, []pev{{kind: "budget", ssrc: 1, paused: true}}, nil, -1, 0, -1},
			{2600, []pev{{kind: "budget", ssrc: 1}}, []int8{2}, -1, 0b100, -1}, // resumed: a keyframe of the layer it now wants
			{6000, []pev{{kind: "tick"}}, []int8{2}, 0b010, -1, -1},            // nobody needs the middle layer any more
		}},
		{"a track paused for bandwidth frees its layers for suspending", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1}, {kind: "tick"}, {kind: "switch"}}, []int8{2}, 0, -1, 0},
			{100, []pev{{kind: "budget", ssrc: 1, paused: true}}, nil, 0, -1, 0},
			{3100, []pev{{kind: "tick"}}, nil, 0b110, -1, 1}, // only the smallest goes on
			{3200, []pev{{kind: "budget", ssrc: 1}}, []int8{2}, 0b010, -1, 2},
		}},
		{"a layer not keyframed is asked for one and never suspended", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "subscribe", ssrc: 1, size: tileSize{80, 60}}}, nil, -1, 0b111, -1}, // none ready: every layer
			{100, []pev{{kind: "tick"}}, []int8{-1}, -1, 0, -1},
			{600, []pev{{kind: "tick"}}, []int8{-1}, -1, 0b111, -1}, // again, once the interval allows
			{700, []pev{{kind: "keyframe", layers: 0b001}, {kind: "tick"}, {kind: "switch"}}, []int8{0}, -1, 0, -1},
			{1200, []pev{{kind: "tick"}}, []int8{0}, 0, 0b111, -1}, // the one it waited for, held back since 700
			{1800, []pev{{kind: "tick"}}, []int8{0}, 0, 0b110, -1}, // the two without one still asked
			{6000, []pev{{kind: "tick"}}, []int8{0}, 0, 0b110, 0},
			{12000, []pev{{kind: "tick"}}, []int8{0}, 0, 0b110, 0},
		}},
		{"nobody receives a layer for 3 s: suspended; wanted again: resumed at once", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1, size: tileSize{100, 80}}, {kind: "tick"}, {kind: "switch"}}, []int8{0}, 0, -1, 0},
			{2999, []pev{{kind: "tick"}}, []int8{0}, 0, -1, 0},
			{3000, []pev{{kind: "tick"}}, []int8{0}, 0b110, -1, 1},
			{3500, []pev{{kind: "tick"}}, []int8{0}, 0b110, -1, 1},
			{8000, []pev{{kind: "view", ssrc: 1}}, []int8{2}, 0b010, 0b100, 2}, // ready while suspended: it was live
			{8100, []pev{{kind: "switch"}, {kind: "tick"}}, []int8{2}, 0b010, -1, 2},
		}},
		{"nobody shows the track: all but the smallest suspended", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1, paused: true}, {kind: "tick"}}, []int8{2}, 0, -1, 0},
			{3000, []pev{{kind: "tick"}}, []int8{2}, 0b110, -1, 1},
			{4000, []pev{{kind: "view", ssrc: 1}}, []int8{2}, 0b010, 0b100, 2}, // shown: a keyframe of what it wants
		}},
		{"a layer its publisher stopped moves its subscribers down and stays out", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1}, {kind: "tick"}, {kind: "switch"}}, []int8{2}, 0, -1, 0},
			{100, []pev{{kind: "stop", layers: 0b100}, {kind: "tick"}}, []int8{2}, 0, -1, 0},
			{1600, []pev{{kind: "tick"}, {kind: "switch"}}, []int8{1}, 0, -1, 0},
			{2000, []pev{{kind: "tick"}}, []int8{1}, 0, -1, 0}, // unneeded from here
			{4999, []pev{{kind: "tick"}}, []int8{1}, 0, -1, 0},
			{5000, []pev{{kind: "tick"}}, []int8{1}, 0b100, -1, 1},
			{6000, []pev{{kind: "tick"}}, []int8{1}, 0b100, -1, 1},
			{9000, []pev{{kind: "tick"}}, []int8{1}, 0b100, -1, 1}, // not resumed to nothing
			{12000, []pev{{kind: "tick"}}, []int8{1}, 0b100, -1, 1},
		}},
		{"a PLI asks for the layer it gets, at most every 500 ms", true, []pstep{
			{0, []pev{{kind: "publish", layers: all}, {kind: "keyframe", layers: all}, {kind: "subscribe", ssrc: 1, size: tileSize{300, 200}}, {kind: "tick"}, {kind: "switch"}}, []int8{1}, -1, 0b010, -1},
			{600, []pev{{kind: "pli", ssrc: 1}}, nil, -1, 0b010, -1},
			{700, []pev{{kind: "pli", ssrc: 1}}, nil, -1, 0, -1},
			{1100, nil, nil, -1, 0b010, -1}, // held back, then sent
			{1700, []pev{{kind: "view", ssrc: 1, size: tileSize{80, 60}}}, []int8{0}, -1, 0b001, -1},
			{2300, []pev{{kind: "connected"}}, nil, -1, 0b001, -1},
		}},
		{"a plain video track: layer 0, keyframes on subscribe, PLI and shown again", false, []pstep{
			{0, []pev{{kind: "publish", layers: 0b001}, {kind: "subscribe", ssrc: 1, paused: true}, {kind: "tick"}}, []int8{0}, 0, 0b001, 0},
			{600, []pev{{kind: "pli", ssrc: 1}}, nil, -1, 0b001, -1},
			{1200, []pev{{kind: "view", ssrc: 1, paused: true}}, nil, -1, 0, -1},
			{1300, []pev{{kind: "view", ssrc: 1}}, nil, -1, 0b001, -1},
			{1700, []pev{{kind: "budget", ssrc: 1, area: 1}}, []int8{0}, 0, 0, 0}, // a cap does not change a plain track's one layer
			{1800, []pev{{kind: "budget", ssrc: 1, paused: true}}, []int8{0}, 0, 0, 0},
			{2300, []pev{{kind: "budget", ssrc: 1}}, []int8{0}, 0, 0b001, 0}, // resumed: a keyframe
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &policyRig{pol: newLayerPolicy(tc.simulcast)}
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
			for i, st := range tc.steps {
				now := start + int64(st.at)*int64(time.Millisecond)
				where := fmt.Sprintf("step %d (%d ms)", i, st.at)
				r.see(now)
				for _, e := range st.evs {
					r.apply(e, now)
					r.see(now)
				}
				keys, _ := r.pol.keyframes(now) // the owner sends them after every event
				if st.want != nil {
					got := make([]int8, len(r.binds))
					for j, b := range r.binds {
						got[j] = b.want
					}
					if !slices.Equal(got, st.want) {
						t.Errorf("%s: bindings want layers %v, want %v", where, got, st.want)
					}
				}
				if st.suspended >= 0 && int(r.pol.suspended()) != st.suspended {
					t.Errorf("%s: layers suspended %03b, want %03b", where, r.pol.suspended(), st.suspended)
				}
				if st.keys >= 0 && int(keys) != st.keys {
					t.Errorf("%s: keyframes asked of layers %03b, want %03b", where, keys, st.keys)
				}
				if st.changes >= 0 && r.changes != st.changes {
					t.Errorf("%s: the suspended layers changed %d times, want %d", where, r.changes, st.changes)
				}
			}
		})
	}
}

// TestLayerPolicyActive: the publisher is told every layer its offer
// named but the suspended ones, in its order; a layer not arrived yet
// stays on.
func TestLayerPolicyActive(t *testing.T) {
	p := newLayerPolicy(true)
	now := int64(time.Hour)
	p.sawLayer(0, "q", 160, 120, now)
	p.sawLayer(1, "h", 320, 240, now)
	p.layers[1].suspended = true
	if got, want := p.active([]string{"q", "h", "f"}), []string{"q", "f"}; !slices.Equal(got, want) {
		t.Errorf("active = %v, want %v", got, want)
	}
}

// TestLayerPolicyKeyframeRetry: a request held back by the interval says
// when it may go, so the owner wakes then.
func TestLayerPolicyKeyframeRetry(t *testing.T) {
	p := newLayerPolicy(false)
	now := int64(time.Hour)
	p.sawLayer(0, "", 0, 0, now)
	p.ask(0)
	if send, next := p.keyframes(now); send != 1 || next != 0 {
		t.Fatalf("first request: send %03b next %d, want 001 and none waiting", send, next)
	}
	p.ask(0)
	send, next := p.keyframes(now + int64(100*time.Millisecond))
	if send != 0 || next != now+int64(keyframeInterval) {
		t.Fatalf("second request 100 ms later: send %03b next %d, want none now and one at %d", send, next, now+int64(keyframeInterval))
	}
	if send, next := p.keyframes(next); send != 1 || next != 0 {
		t.Fatalf("at the time said: send %03b next %d, want 001", send, next)
	}
	p.ask(2) // absent: skipped
	if send, _ := p.keyframes(now + int64(time.Second)); send != 0 {
		t.Fatalf("an absent layer was asked for: %03b", send)
	}
}

// TestPostNeverHangs: an event for a track whose owner has stopped, or
// for an audio track (no owner), is dropped at once; a kick never waits.
func TestPostNeverHangs(t *testing.T) {
	stopped := &forwarder{inbox: make(chan policyEvent), kick: make(chan struct{}, 1), done: make(chan struct{})}
	close(stopped.done)
	stopped.post(policyEvent{kind: evView}) // nobody reads inbox: returns only because done is closed
	audio := &forwarder{done: make(chan struct{})}
	audio.post(policyEvent{kind: evPLI})
	for range 3 {
		stopped.kickOwner() // the second and third find it kicked already
	}
	if len(stopped.kick) != 1 {
		t.Fatalf("%d kicks pending, want 1", len(stopped.kick))
	}
}
