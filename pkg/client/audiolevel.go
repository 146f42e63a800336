package client

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// AudioLevelURI is the RTP header extension carrying a packet's audio
// level, which roomsd reads to tell who is speaking.
const AudioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

// audioLevels stamps each outgoing packet of an audio track with the
// level its LocalTrack.Level reports. Tracks are found by SSRC, the one
// thing both the sender and the interceptor know.
type audioLevels struct {
	levels sync.Map // uint32 SSRC → func() uint8
}

func (a *audioLevels) set(ssrc uint32, level func() uint8) { a.levels.Store(ssrc, level) }

// NewInterceptor makes the interceptor for one PeerConnection.
func (a *audioLevels) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &audioLevelInterceptor{levels: a}, nil
}

type audioLevelInterceptor struct {
	interceptor.NoOp
	levels *audioLevels
}

// BindLocalStream wraps the writer of a stream that has a level source
// and negotiated the extension.
func (i *audioLevelInterceptor) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == AudioLevelURI {
			id = uint8(e.ID)
		}
	}
	v, ok := i.levels.levels.Load(info.SSRC)
	if id == 0 || !ok {
		return w
	}
	level := v.(func() uint8)
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, attrs interceptor.Attributes) (int, error) {
		l := level() & 0x7f
		if l <= 50 {
			l |= 0x80 // the voice activity flag
		}
		if err := h.SetExtension(id, []byte{l}); err != nil {
			return 0, err
		}
		return w.Write(h, payload, attrs)
	})
}
