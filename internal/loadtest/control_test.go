package loadtest

import (
	"context"
	"strings"
	"testing"
)

// TestControlPlaneRefusesBadOptions: each bad option is named before any
// request is sent (the servers here do not exist).
func TestControlPlaneRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		o    ControlOptions
		want string
	}{
		{ControlOptions{Creates: 1, Concurrency: 1}, "at least one server"},
		{ControlOptions{Nodes: []string{"http://127.0.0.1:1"}, Creates: 0, Concurrency: 1}, "--creates"},
		{ControlOptions{Nodes: []string{"http://127.0.0.1:1"}, Creates: 1, Gets: MaxControlOps + 1, Concurrency: 1}, "--gets"},
		{ControlOptions{Nodes: []string{"http://127.0.0.1:1"}, Creates: 1, Concurrency: 0}, "--concurrency"},
		{ControlOptions{Nodes: []string{"http://127.0.0.1:1", "http://192.0.2.1:7880"}, Creates: 1, Concurrency: 1}, "not on this machine"},
	} {
		_, err := ControlPlane(context.Background(), tc.o, func(string) {})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ControlPlane(%+v) = %v, want an error with %q", tc.o, err, tc.want)
		}
	}
}
