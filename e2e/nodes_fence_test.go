//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rooms-dev/rooms/pkg/api"
)

// nodeLive says whether node id has heartbeated within the last five
// seconds (the registry's staleness: cluster.DefaultLeaseTTL).
func nodeLive(t *testing.T, db, id string) bool {
	t.Helper()
	var live bool
	withPG(t, db, 10*time.Second, func(ctx context.Context, conn *pgx.Conn) {
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cluster_nodes WHERE id = $1 AND seen_at > now() - interval '5 seconds')`, id).Scan(&live); err != nil {
			t.Fatal(err)
		}
	})
	return live
}

// TestNodesPausedOwnerGivesUpItsCall: the node running a call is paused
// (SIGSTOP: a frozen VM, a long stall) past its lease; someone new joins
// and the call is placed again on the other node; then the paused node
// resumes with its copy of the call and the people still connected to
// it. Without a guard the room has two calls from then on (the old
// participants never meet the newcomer, and a host's kick, sent to the
// lease holder, misses them). The resumed node's next heartbeat finds the
// lease in another node's name and releases its copy: its people
// reconnect through the address they dialled and all three are in one
// call, on the node that holds the lease.
func TestNodesPausedOwnerGivesUpItsCall(t *testing.T) {
	db := startPostgres(t)
	// "nb" starts alone, so the call is placed on it.
	nb := startNode(t, db, "nb")
	t.Cleanup(func() { nb.cmd.Process.Signal(syscall.SIGCONT) }) // before its own cleanup stops it
	ctx := context.Background()
	r, err := nb.srv.c.CreateRoom(ctx, api.CreateRoomRequest{Name: "one call"})
	if err != nil {
		t.Fatal(err)
	}
	ann := startPeerWith(t, nb.srv, r.ID, "--name", "Ann", "--video", "testsrc", "--simulcast=false", "--audio", "none", "--decode=false")
	ann.waitEvent(t, map[string]any{"type": "joined"})
	if got := leaseOf(t, db, r.ID); got != "nb" {
		t.Fatalf("the call is on %q, want nb", got)
	}
	na := startNode(t, db, "na")
	bo := startPeerWith(t, na.srv, r.ID, "--name", "Bo", "--video", "none", "--audio", "none")
	bo.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Ann", "pattern_ok": true})
	if got := leaseOf(t, db, r.ID); got != "nb" {
		t.Fatalf("Bo's join through na moved the call to %q", got)
	}

	// Pause nb until its lease and its registration have lapsed.
	if err := nb.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "nb's lease and registration lapsed", func() bool {
		return leaseOf(t, db, r.ID) == "" && !nodeLive(t, db, "nb")
	}, nb.log)
	cy := startPeerWith(t, na.srv, r.ID, "--name", "Cy", "--video", "none", "--audio", "none")
	cy.waitEvent(t, map[string]any{"type": "joined"})
	if got := leaseOf(t, db, r.ID); got != "na" {
		t.Fatalf("with nb paused the call was placed on %q, want na", got)
	}
	annFrom, boFrom := ann.lineCount(), bo.lineCount()
	if err := nb.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}

	// One call again: Ann and Bo meet Cy, in the call na runs.
	meets := func(p *goPeer, from int, who string) bool {
		if len(p.eventsFrom(from, map[string]any{"type": "participant_joined", "name": who})) > 0 {
			return true
		}
		for _, ev := range p.eventsFrom(from, map[string]any{"type": "joined"}) {
			names, _ := ev["participants"].([]any)
			if slices.ContainsFunc(names, func(n any) bool { return fmt.Sprint(n) == who }) {
				return true
			}
		}
		return false
	}
	waitFor(t, 45*time.Second, "Ann and Bo in Cy's call after nb resumed", func() bool {
		return meets(ann, annFrom, "Cy") && meets(bo, boFrom, "Cy")
	}, nb.log)
	if got := leaseOf(t, db, r.ID); got != "na" {
		t.Fatalf("after nb resumed the call is leased to %q, want na", got)
	}
	if !strings.Contains(nb.log.String(), "lost the lease of a call") {
		t.Errorf("nb did not log that it gave up the call; it said:\n%s", nb.log.String())
	}
	cy.waitEvent(t, map[string]any{"type": "first_frame", "kind": "video", "name": "Ann", "pattern_ok": true})
	who, err := na.srv.c.Participants(ctx, r.ID)
	if err != nil || len(who) != 3 {
		t.Fatalf("na lists %d people in the call (%v), want Ann, Bo and Cy: %+v", len(who), err, who)
	}
	// A kick through either node reaches everyone's one call.
	if out, err := roomsCLI(t, nb.srv.url, "kick", r.ID, "Bo", "--host-key", r.HostKey); err != nil {
		t.Fatalf("rooms kick through nb: %v\n%s", err, out)
	}
	bo.waitEvent(t, map[string]any{"type": "removed"})
}
