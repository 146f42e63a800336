package call

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/rooms-dev/rooms/internal/room"
	"github.com/rooms-dev/rooms/pkg/api"
)

// TestConcurrentJoinersKnowEachOther: people who join at the same moment
// (a call that moved to another node takes everyone back at once) each
// learn of every other exactly once, from their joined's list or from a
// participant_joined after it. A client reads nothing before its joined,
// so a participant_joined that overtakes it is lost: the newcomer's tiles
// then have no name (seen in the cluster e2e, 1 run in 8).
func TestConcurrentJoinersKnowEachOther(t *testing.T) {
	const rounds, people = 40, 8
	e := newCallEnv(t, 0)
	for round := range rounds {
		r, _ := e.room(t, func(r *room.Room) { r.Capacity = people })
		conns := make([]*fakeConn, people)
		ids := make([]string, people)
		var wg sync.WaitGroup
		for i := range people {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, conn, err := e.join(t, r.ID, fmt.Sprintf("p%d", i), "")
				if err != nil {
					t.Errorf("round %d: p%d joining: %v", round, i, err)
					return
				}
				conns[i], ids[i] = conn, s.ID()
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		for i, conn := range conns {
			known := knownAfterJoined(t, conn)
			var want []string
			for j, id := range ids {
				if j != i {
					want = append(want, id)
				}
			}
			slices.Sort(want)
			slices.Sort(known)
			if !slices.Equal(known, want) {
				t.Fatalf("round %d: p%d knows of %v, not each of %v once", round, i, known, want)
			}
		}
	}
}

// knownAfterJoined is whom conn was told of, as a client reads it: the
// first message must be joined; its participants, then each
// participant_joined after it.
func knownAfterJoined(t *testing.T, conn *fakeConn) []string {
	t.Helper()
	var known []string
	first := true
	for {
		select {
		case m := <-conn.msgs:
			switch {
			case first && m.Type != api.MsgJoined:
				t.Fatalf("the first message was %s, not joined", m.Type)
			case m.Type == api.MsgJoined:
				var j api.Joined
				if err := json.Unmarshal(m.Data, &j); err != nil {
					t.Fatal(err)
				}
				for _, p := range j.Participants {
					known = append(known, p.ID)
				}
			case m.Type == api.MsgParticipantJoined:
				var p api.Participant
				if err := json.Unmarshal(m.Data, &p); err != nil {
					t.Fatal(err)
				}
				known = append(known, p.ID)
			}
			first = false
		default:
			return known
		}
	}
}
