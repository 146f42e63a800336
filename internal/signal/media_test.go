package signal_test

import (
	"context"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	wire "github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func newVideoTrack(t *testing.T) client.LocalTrack {
	tr, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "v", "s")
	if err != nil {
		t.Fatal(err)
	}
	return client.LocalTrack{Track: tr, Kind: wire.KindVideo}
}

func writeFrames(ctx context.Context, t client.LocalTrack) {
	tr := t.Track.(*webrtc.TrackLocalStaticSample)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(33 * time.Millisecond):
			_ = tr.WriteSample(media.Sample{Data: make([]byte, 100), Duration: 33 * time.Millisecond})
		}
	}
}
