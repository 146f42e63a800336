package sfu

import (
	"fmt"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/webrtc/v4"
)

// interceptors are only what the SFU's role needs, not pion's defaults:
//   - NACK generator: it asks publishers again for packets lost on the way
//     in. There is no NACK responder: the forwarder answers subscribers'
//     NACKs from one history per published track (history.go), where
//     pion's responder would keep a copy per subscriber.
//   - RTCP receiver reports to publishers (their loss and bitrate control)
//     and sender reports to subscribers (their audio/video sync), the
//     latter bundled per connection (senderreports.go).
//   - Transport-wide congestion control feedback to publishers, whose
//     bandwidth estimate drives their encoders.
//
// Left out: the stats interceptor (nothing reads pion's stats here; it
// costs a lock and a map lookup per packet). What the SFU sends a
// subscriber is stamped and estimated by its own interceptor on the
// subscribe connection (bwe.go), not by pion's TWCC sender here.
func interceptors(m *webrtc.MediaEngine) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, fmt.Errorf("NACK generator: %w", err)
	}
	reg.Add(gen)
	rr, err := report.NewReceiverInterceptor()
	if err != nil {
		return nil, fmt.Errorf("receiver reports: %w", err)
	}
	reg.Add(rr)
	reg.Add(&senderReportsFactory{})
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"}, kind); err != nil {
			return nil, fmt.Errorf("register the TWCC extension: %w", err)
		}
	}
	fb, err := twcc.NewSenderInterceptor()
	if err != nil {
		return nil, fmt.Errorf("TWCC feedback: %w", err)
	}
	reg.Add(fb)
	return reg, nil
}
