package client

import (
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// RequestKeyframe asks the sender of a remote video track for a
// keyframe: a decoder that lost its place calls it.
func (call *Call) RequestKeyframe(t *webrtc.TrackRemote) error {
	var sub *webrtc.PeerConnection
	call.look(func() { sub = call.s.sub })
	if sub == nil {
		return nil
	}
	return sub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
}

// ReceiveStats is what arrived on one remote track so far.
type ReceiveStats struct {
	SSRC            uint32
	PacketsReceived uint32
	PacketsLost     int32
	BytesReceived   uint64
	Jitter          float64 // seconds
}

// Stats reports what arrived per remote track (by its SSRC, as
// TrackRemote.SSRC gives it), and the round-trip time to the server on the
// receiving connection in seconds (0 if not known yet).
func (call *Call) Stats() (map[uint32]ReceiveStats, float64) {
	var pub, sub *webrtc.PeerConnection
	call.look(func() { pub, sub = call.s.pub, call.s.sub })
	out := map[uint32]ReceiveStats{}
	if sub == nil {
		return out, 0
	}
	var rtt float64
	// ICE measures round trips on the side that controls it: the publish
	// connection, where this client offers.
	if pub != nil {
		for _, s := range pub.GetStats() {
			if st, ok := s.(webrtc.ICECandidatePairStats); ok && st.CurrentRoundTripTime > 0 {
				rtt = st.CurrentRoundTripTime
			}
		}
	}
	for _, s := range sub.GetStats() {
		switch st := s.(type) {
		case webrtc.InboundRTPStreamStats:
			out[uint32(st.SSRC)] = ReceiveStats{
				SSRC: uint32(st.SSRC), PacketsReceived: st.PacketsReceived, PacketsLost: st.PacketsLost,
				BytesReceived: st.BytesReceived, Jitter: st.Jitter,
			}
		case webrtc.ICECandidatePairStats:
			if rtt == 0 && st.CurrentRoundTripTime > 0 {
				rtt = st.CurrentRoundTripTime
			}
		}
	}
	return out, rtt
}
