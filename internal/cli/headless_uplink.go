package cli

import (
	"github.com/rooms-dev/rooms/pkg/client"
)

// uplink is the stats event's "uplink": what this client sent since the
// last stats line, the estimate of its uplink, and each encoding's rate
// (kbit/s, by track id and RID, "" for a track sent alone; 0: stopped
// for bandwidth). Nil when the call adapts nothing.
func (h *headless) uplink(call *client.Call) map[string]any {
	st := call.Uplink()
	if st.EstimateBps == 0 {
		return nil
	}
	sent := st.SentBytes - min(h.sent, st.SentBytes)
	h.sent = st.SentBytes
	rates := map[string]map[string]int{}
	for id, r := range st.Rates {
		rates[id] = map[string]int{}
		for rid, bps := range r {
			rates[id][rid] = (bps + 500) / 1000
		}
	}
	return map[string]any{
		"sent_kbps":     int(float64(sent)*8/statsEvery.Seconds()/1000 + 0.5),
		"estimate_kbps": (st.EstimateBps + 500) / 1000,
		"layers_kbps":   rates,
	}
}
