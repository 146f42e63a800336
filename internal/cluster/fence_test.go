package cluster

import (
	"slices"
	"testing"

	"github.com/rooms-dev/rooms/internal/store"
)

// TestLostCalls: a call this node runs is lost when the lease in force
// names another node, missing when no lease is in force, and kept when
// the lease is this node's; leases of calls this node does not run are
// none of its business.
func TestLostCalls(t *testing.T) {
	lease := func(node string) store.CallLease { return store.CallLease{Node: store.Node{ID: node}} }
	for _, tc := range []struct {
		name          string
		live          map[string]int
		leases        map[string]store.CallLease
		lost, missing []string
	}{
		{"nothing live", nil, map[string]store.CallLease{"a": lease("n2")}, nil, nil},
		{"all ours", map[string]int{"a": 3, "b": 0}, map[string]store.CallLease{"a": lease("n1"), "b": lease("n1"), "c": lease("n2")}, nil, nil},
		{"moved while paused", map[string]int{"a": 3, "b": 1}, map[string]store.CallLease{"a": lease("n2"), "b": lease("n1")}, []string{"a"}, nil},
		{"lapsed", map[string]int{"a": 3, "b": 1}, map[string]store.CallLease{"b": lease("n3")}, []string{"b"}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lost, missing := lost("n1", tc.live, tc.leases)
			slices.Sort(lost)
			slices.Sort(missing)
			if !slices.Equal(lost, tc.lost) || !slices.Equal(missing, tc.missing) {
				t.Errorf("lost %v, missing %v; want %v, %v", lost, missing, tc.lost, tc.missing)
			}
		})
	}
}
