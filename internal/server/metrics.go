package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rooms-dev/rooms/internal/call"
	"github.com/rooms-dev/rooms/internal/sfu"
	"github.com/rooms-dev/rooms/internal/signal"
)

// registerMetrics adds the media's, the calls' and the call connections'
// metrics to reg, read when /metrics is scraped.
func registerMetrics(reg *prometheus.Registry, media *sfu.SFU, hub *call.Hub, sig *signal.Handler) {
	counter := func(name, help string, read func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(read()) })
	}
	gauge := func(name, help string, read func() int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(read()) })
	}
	reg.MustRegister(
		counter("rooms_sfu_forwarded_packets_total",
			"RTP packets sent to subscribers, one per subscriber.", media.Forwarded),
		counter("rooms_sfu_retransmitted_packets_total",
			"RTP packets sent again because a subscriber reported them lost (NACK).", media.Retransmitted),
		counter("rooms_sfu_received_packets_total",
			"RTP packets received from publishers, every simulcast layer.", media.Received),
		counter("rooms_sfu_layer_switches_total",
			"Subscribers moved from one simulcast layer of a track to another (at a keyframe).", media.LayerSwitches),
		counter("rooms_sfu_bandwidth_limits_total",
			"Subscribers' video tiles brought down to a smaller layer or paused because the bandwidth estimate of their downlink could not carry them.", media.BandwidthLimits),
		counter("rooms_sfu_refused_tracks_total",
			"Published tracks not forwarded: a screen past the call's cap, or more than 4 tracks from one participant.", media.Refused),
		counter("rooms_sfu_send_calls_total",
			"System calls that sent media datagrams on the UDP socket (sendto, or sendmmsg for a burst; Linux only).", func() uint64 { return media.SendStats().Calls }),
		counter("rooms_sfu_sent_datagrams_total",
			"Media datagrams those calls sent on the UDP socket (Linux only).", func() uint64 { return media.SendStats().Datagrams }),
		counter("rooms_sfu_segmented_datagrams_total",
			"Datagrams among them sent in UDP GSO messages of two or more (Linux only).", func() uint64 { return media.SendStats().Segmented }),
		gauge("rooms_calls", "Live calls.", func() int { c, _ := hub.Stats(); return c }),
		gauge("rooms_participants", "People in live calls.", func() int { _, p := hub.Stats(); return p }),
		gauge("rooms_signal_connections", "Call connections (signalling WebSockets) open, as counted against --max-connections.", sig.Open),
	)
}
