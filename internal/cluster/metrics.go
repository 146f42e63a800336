package cluster

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
)

// Labelled is g with a node="ID" label on every sample, so the metrics of
// several nodes scraped through one address (or summed by a dashboard)
// stay apart. A metric that already has a node label keeps its own.
func Labelled(g prometheus.Gatherer, node string) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		fams, err := g.Gather()
		for _, f := range fams {
		metrics:
			for _, m := range f.Metric {
				for _, lp := range m.Label {
					if lp.GetName() == "node" {
						continue metrics
					}
				}
				m.Label = append(m.Label, &dto.LabelPair{Name: proto.String("node"), Value: proto.String(node)})
			}
		}
		return fams, err
	})
}

// Collector reports the node's own numbers: heartbeats done and the
// calls placed on each node, as this node last read the leases.
func (n *Node) Collector() prometheus.Collector { return nodeCollector{n} }

type nodeCollector struct{ n *Node }

var (
	descBeats = prometheus.NewDesc("rooms_node_heartbeats_total", "Heartbeats this node has written to the cluster's store.", nil, nil)
	descLease = prometheus.NewDesc("rooms_node_leased_calls", "Calls whose lease names this node, as of its last heartbeat.", nil, nil)
)

func (c nodeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descBeats; ch <- descLease }

func (c nodeCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descBeats, prometheus.CounterValue, float64(c.n.beats.Load()))
	mine := 0
	for _, l := range *c.n.leases.Load() {
		if l.Node.ID == c.n.cfg.ID {
			mine++
		}
	}
	ch <- prometheus.MustNewConstMetric(descLease, prometheus.GaugeValue, float64(mine))
}
