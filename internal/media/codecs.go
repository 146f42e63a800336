package media

import "github.com/pion/webrtc/v4"

// Payload types match pion's defaults and Chromium's, so nothing has to be
// rewritten between legs in the common case; ptWriter copes when they differ.
const (
	vp8PayloadType  = 96
	opusPayloadType = 111
)

// RegisterCodecs registers exactly the codecs this package encodes and decodes
// (VP8, Opus) on m, so a client never negotiates one it cannot play, and the
// header extensions that tell simulcast layers apart (sdes:mid,
// sdes:rtp-stream-id, sdes:repaired-rtp-stream-id).
func RegisterCodecs(m *webrtc.MediaEngine) error {
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return err
	}
	videoFeedback := []webrtc.RTCPFeedback{
		{Type: webrtc.TypeRTCPFBGoogREMB},
		{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBNACK},
		{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		},
		PayloadType: vp8PayloadType,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return err
	}
	return m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine:  "minptime=10;useinbandfec=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: opusPayloadType,
	}, webrtc.RTPCodecTypeAudio)
}
