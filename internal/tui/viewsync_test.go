package tui

import (
	"image"
	"maps"
	"slices"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func TestViewSyncHidesWhatIsNotOnScreen(t *testing.T) {
	v := newViewSync()
	frames := NewFrames()
	for _, tr := range []api.Track{
		{ID: "tA", ParticipantID: "pAnn", Kind: api.KindVideo},
		{ID: "aA", ParticipantID: "pAnn", Kind: api.KindAudio},
		{ID: "tB", ParticipantID: "pBo", Kind: api.KindVideo},
		{ID: "sB", ParticipantID: "pBo", Kind: api.KindScreen},
	} {
		v.event(client.RemoteTrack{Info: tr})
	}
	if h := v.hidden(frames); len(h) != 0 {
		t.Errorf("before the first layout everything is shown, but %v are hidden", h)
	}
	frames.SetShown([]string{"pAnn", screenKey("pBo")})
	if h := v.hidden(frames); !slices.Equal(h, []string{"tB"}) {
		t.Errorf("hidden %v, want [tB] (audio is never hidden)", h)
	}
	frames.SetSizes(map[string]image.Point{"pAnn": image.Pt(60, 44), screenKey("pBo"): image.Pt(200, 90)})
	want := map[string]api.Size{"tA": {W: 60, H: 44}, "sB": {W: 200, H: 90}}
	if got := v.view(frames).Sizes; !maps.Equal(got, want) {
		t.Errorf("sizes %v, want %v (what is shown, at its size in pixels)", got, want)
	}
	v.event(client.TrackUnpublished{Track: api.Track{ID: "tB"}})
	frames.SetShown(nil)
	frames.SetShown([]string{})
	if h := v.hidden(frames); !slices.Equal(h, []string{"sB", "tA"}) {
		t.Errorf("hidden %v, want [sB tA]", h)
	}
}
