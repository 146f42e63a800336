package sfu

import "time"

// resendGuard answers a subscriber's NACK for one packet at most once a
// resendEvery. A pion receiver asks again every 100 ms for as long as a
// packet is missing; on a narrow link the answer waits in the pacer and
// the link's queue for longer than that, so every repeat was answered
// again: on a 300 kbit/s viewer a lost keyframe went out three or four
// times, the copies took the link, the signalling's TCP behind them
// starved until its ping failed, and the viewer rejoined. One per
// binding, made on its first NACK, guarded by the binding's lock.
type resendGuard struct {
	at  [historySize]int64 // unix ns of the last resend; 0: none
	seq [historySize]uint16
}

// resendEvery is the least time between two answers for one packet:
// longer than a round trip through a full 200 ms queue.
const resendEvery = 300 * time.Millisecond

// allow says whether the packet the subscriber numbers seq may be sent
// again at now, and if so notes it.
func (g *resendGuard) allow(seq uint16, now int64) bool {
	i := seq % historySize
	if g.at[i] != 0 && g.seq[i] == seq && now-g.at[i] < int64(resendEvery) {
		return false
	}
	g.at[i], g.seq[i] = now, seq
	return true
}
