package sfu

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rooms-dev/rooms/pkg/api"
)

// setICETimeouts sets the server's ICE timeouts (api.ServerICE*): the
// server, ICE-lite, gives a silent connection up only after a client's
// restart (api.ICEFailed) would have come; the keepalive is the client's.
func setICETimeouts(se *webrtc.SettingEngine) {
	se.SetICETimeouts(api.ServerICEDisconnected, api.ServerICEFailed, api.ICEKeepalive)
}

// RestartICE offers again on the participant's subscribe connection with
// new ICE credentials (api.MsgRestartICE): the client's ICE failed after
// it had connected. The offer is charged to the participant's offer
// budget, as a publish offer's sections are, so restarts are bounded.
func (p *Peer) RestartICE(r api.RestartICE) error {
	if r.PC != api.PCSubscribe {
		return fmt.Errorf("an ICE restart is only asked for on the subscribe connection, not %q (restart the publish one with an offer)", r.PC)
	}
	p.mu.Lock()
	cost, closed := 1+p.subSections, p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !p.offerBudget.AllowN(time.Now(), cost) {
		return &Refusal{Code: api.CodeRateLimited,
			Msg: fmt.Sprintf("too many ICE restarts: at most %d media sections a second are offered, bursts of %d; wait and ask again", api.OfferCostPerSecond, api.OfferCostBurst)}
	}
	// The candidates the client trickles after the restart are counted
	// afresh: pion forgets the old ones at a restart.
	p.mu.Lock()
	p.candidates[api.PCSubscribe] = 0
	p.mu.Unlock()
	p.subNeg.Restart()
	return nil
}

// restartedPublish forgets the count of the publish connection's trickled
// candidates when offer restarts ICE (its ufrag differs from the last
// offer's): pion forgets the candidates themselves.
func (p *Peer) restartedPublish(offer string) {
	last := p.pub.RemoteDescription()
	if last == nil || iceUfrag(last.SDP) == iceUfrag(offer) {
		return
	}
	p.mu.Lock()
	p.candidates[api.PCPublish] = 0
	p.mu.Unlock()
}

// iceUfrag is the first a=ice-ufrag of a description, or "".
func iceUfrag(sdp string) string {
	for l := range strings.SplitSeq(sdp, "\n") {
		if u, ok := strings.CutPrefix(strings.TrimSpace(l), "a=ice-ufrag:"); ok {
			return u
		}
	}
	return ""
}
