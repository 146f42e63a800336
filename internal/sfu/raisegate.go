package sfu

import "time"

// raiseGate holds back every raise of one subscriber's tiles (a layer up,
// or a paused tile resumed) for a while after its allocation brought one
// down for bandwidth. Raising is how the estimate is probed (bwe.go
// grows it on a quiet link; a raised tile's packets test it), and a
// probe that fails takes a tile down again: each such round is a freeze
// somewhere. Per-tile backoff alone (tileState.blockedUntil) let the
// tiles take turns: on a 300 kbit/s link, with seven tiles paused, some
// tile was resumed every few seconds and paused again (1 to 4.5 freezes
// a minute a shown tile). With the gate, the subscriber probes at most
// once a backoff: gateMin after a fall; doubling, up to gateMax, each
// time a fall follows a raise within gateFailWithin (the probe failed);
// back to gateMin after gateForget without a fall.
type raiseGate struct {
	until, lastDown, lastRaise int64 // unix ns
	backoff                    time.Duration
}

// gateMax is two minutes: each failed probe costs the shown tiles a
// freeze (the link overflows until the estimate falls), so a subscriber
// whose probes keep failing (a link that holds its audio and a tile or
// two, no more) probes rarely; at 30 s that was still 2 freezes a
// minute. A link that widens is found at the next probe, within it.
const (
	gateMin        = 4 * time.Second
	gateMax        = 2 * time.Minute
	gateFailWithin = 10 * time.Second
	gateForget     = 5 * time.Minute
)

// down notes a tile brought down at now.
func (g *raiseGate) down(now int64) {
	switch {
	case g.backoff == 0 || now-g.lastDown > int64(gateForget):
		g.backoff = gateMin
	case g.lastRaise != 0 && now-g.lastRaise < int64(gateFailWithin):
		// The raise before this fall was the probe, and it failed.
		g.backoff = min(2*g.backoff, gateMax)
		g.lastRaise = 0
	}
	g.until = max(g.until, now+int64(g.backoff))
	g.lastDown = now
}

// raised notes a tile raised (or resumed) at now.
func (g *raiseGate) raised(now int64) { g.lastRaise = now }

// shut says whether raises are held back at now.
func (g *raiseGate) shut(now int64) bool { return now < g.until }
