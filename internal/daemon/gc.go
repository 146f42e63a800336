package daemon

import "runtime/debug"

// gcPercent is roomsd's GOGC when the environment sets none. The heap a
// call keeps live is mostly pion's per-connection state, which the
// collector must leave room to double under Go's default of 100: at 50,
// RSS in a 25-person call is about a quarter lower for a collector that
// runs twice as often over a heap that allocates little per packet (see
// docs/performance.md, "Memory per participant").
const gcPercent = 50

// tuneGC sets gcPercent unless GOGC is set, which then decides.
func tuneGC(env func(string) (string, bool)) {
	if _, ok := env("GOGC"); ok {
		return
	}
	debug.SetGCPercent(gcPercent)
}
