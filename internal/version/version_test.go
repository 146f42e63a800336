package version

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name            string
		v, commit, date string
		bi              *debug.BuildInfo
		want            Info
	}{
		{"ldflags win", "v1.2.3", "deadbeef", "2026-12-06", vcs, Info{Version: "v1.2.3", Commit: "deadbeef", Date: "2026-12-06", GoVersion: "go1.99"}},
		{"vcs settings fill the gaps", "", "", "", vcs, Info{Version: "devel", Commit: "abc123-dirty", Date: "2026-12-01T10:00:00Z", GoVersion: "go1.99"}},
		{"module version from go install", "", "", "", &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Version: "v0.4.0"}},
			Info{Version: "v0.4.0", Commit: Unknown, Date: Unknown, GoVersion: "go1.99"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolve(tc.v, tc.commit, tc.date, tc.bi)
			got.Platform = ""
			if got != tc.want {
				t.Fatalf("resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestNoBuildInfo(t *testing.T) {
	got := resolve("", "", "", nil)
	if got.Version != "devel" || got.Commit != Unknown || got.Date != Unknown || !strings.HasPrefix(got.GoVersion, "go") {
		t.Fatalf("resolve without build info = %+v", got)
	}
}

func TestLongNamesEveryField(t *testing.T) {
	s := Info{Version: "v1", Commit: "c0ffee", Date: "2026-12-06", GoVersion: "go1.26", Platform: "linux/amd64"}.Long("roomsd")
	for _, want := range []string{"roomsd v1", "c0ffee", "2026-12-06", "go1.26", "linux/amd64"} {
		if !strings.Contains(s, want) {
			t.Errorf("Long = %q, missing %q", s, want)
		}
	}
}

func TestBuildInfoMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(Collector())
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || fams[0].GetName() != BuildInfoMetric || len(fams[0].GetMetric()) != 1 {
		t.Fatalf("gathered %v, want one %s", fams, BuildInfoMetric)
	}
	m := fams[0].GetMetric()[0]
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	i := Get()
	want := map[string]string{"version": i.Version, "commit": i.Commit, "go_version": i.GoVersion}
	if len(labels) != len(want) {
		t.Fatalf("labels %v, want %v", labels, want)
	}
	for k, v := range want {
		if labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, labels[k], v)
		}
	}
	if m.GetGauge().GetValue() != 1 {
		t.Errorf("value %v, want 1", m.GetGauge().GetValue())
	}
}
