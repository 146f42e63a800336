package api

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/internal/store"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry, st store.Store) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rooms_http_requests_total",
			Help: "HTTP requests served, by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rooms_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route and method.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 8),
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency, &roomCollector{st: st},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(route, method string, status int, d time.Duration, timed bool) {
	if status == 0 {
		status = 200
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	if timed {
		m.latency.WithLabelValues(route, method).Observe(d.Seconds())
	}
}

// roomCollector reads the count of rooms by state from the store at scrape
// time, so the gauge cannot drift from what is stored.
type roomCollector struct{ st store.Store }

var roomsDesc = prometheus.NewDesc("rooms_rooms", "Rooms in the store, by stored state.", []string{"state"}, nil)

func (c *roomCollector) Describe(ch chan<- *prometheus.Desc) { ch <- roomsDesc }

func (c *roomCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.st.CountRooms(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(roomsDesc, err)
		return
	}
	for _, s := range []room.State{room.Scheduled, room.Open, room.Ended} {
		ch <- prometheus.MustNewConstMetric(roomsDesc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
