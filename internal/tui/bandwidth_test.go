package tui

import (
	"strings"
	"testing"

	"github.com/rooms-dev/rooms/internal/termimg"
	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

// TestBandwidthPausedTile: a tile the server pauses for this viewer's
// bandwidth says so (its last frame would look frozen), and shows video
// again when the server resumes it.
func TestBandwidthPausedTile(t *testing.T) {
	m, _ := callWith(t, 4, 140, 40, false)
	const says = "paused: your connection is slow"
	if got := termimg.StripANSI(m.View().Content); strings.Contains(got, says) {
		t.Fatalf("a tile says it is paused before any bandwidth message:\n%s", got)
	}
	mm, _ := m.Update(EventMsg{Event: client.Bandwidth{Bandwidth: api.Bandwidth{Paused: []string{"tpBo", "tpCy", "tnobody"}, EstimateBps: 200_000}}})
	got := termimg.StripANSI(mm.(Model).View().Content)
	if n := strings.Count(got, says); n != 2 {
		t.Errorf("%d tiles say they are paused for bandwidth, want Bo's and Cy's:\n%s", n, got)
	}
	mm, _ = mm.Update(EventMsg{Event: client.Bandwidth{Bandwidth: api.Bandwidth{Paused: []string{}}}})
	if got := termimg.StripANSI(mm.(Model).View().Content); strings.Contains(got, says) {
		t.Errorf("a tile still says it is paused after the server resumed everything:\n%s", got)
	}
}
