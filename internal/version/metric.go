package version

import "github.com/prometheus/client_golang/prometheus"

// BuildInfoMetric is the name of the gauge that says which build serves.
const BuildInfoMetric = "rooms_build_info"

// Collector returns the rooms_build_info gauge: always 1, with the build's
// version, commit and Go version as labels, so a dashboard can tell which
// build each server runs.
func Collector() prometheus.Collector {
	i := Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        BuildInfoMetric,
		Help:        "Which build of roomsd is running: always 1, the build in the labels.",
		ConstLabels: prometheus.Labels{"version": i.Version, "commit": i.Commit, "go_version": i.GoVersion},
	})
	g.Set(1)
	return g
}
