package media

import (
	"context"
	"fmt"
	"io"

	"gopkg.in/hraban/opus.v2"
)

const (
	opusRate = 48000
	// maxOpusFrame is the longest Opus packet, 120 ms, in samples per channel.
	maxOpusFrame = opusRate * 120 / 1000
	// maxConcealed is how many lost packets in a row get packet-loss
	// concealment; after a longer hole, playing on from the next packet
	// sounds better than 100 ms and more of invented audio.
	maxConcealed = 5
)

// DecodeAudio decodes the Opus track r to 48 kHz interleaved PCM, one onPCM
// call per packet (plus concealment for a few lost ones); pcm is the
// callee's to keep. Channels follow the sender's first packet (mono or
// stereo). It returns nil on io.EOF and ctx.Err() when ctx ends, with the
// same ctx caveat as DecodeVideo.
func DecodeAudio(ctx context.Context, r RTPReader, onPCM func(pcm []int16, sampleRate, channels int)) error {
	stop := interruptOnDone(ctx, r)
	defer stop()

	var (
		dec      *opus.Decoder
		channels int
		lastSeq  uint16
		buf      []int16
	)
	for {
		pkt, err := nextPacket(ctx, r)
		if err != nil {
			if err == io.EOF {
				return nil
			}
			if err == ctx.Err() {
				return err
			}
			return fmt.Errorf("reading audio RTP: %w", err)
		}
		if dec != nil {
			gap := int16(pkt.SequenceNumber - lastSeq)
			if gap <= 0 {
				continue // duplicate or too late to play
			}
			if lost := int(gap) - 1; lost > 0 && lost <= maxConcealed && len(pkt.Payload) > 0 {
				conceal(dec, channels, lost, onPCM)
			}
		}
		lastSeq = pkt.SequenceNumber
		if len(pkt.Payload) == 0 {
			continue // padding
		}
		if dec == nil {
			// The stereo flag of the TOC byte (RFC 6716 §3.1) says what
			// the sender encodes; SDP always says opus/48000/2.
			channels = 1
			if pkt.Payload[0]&0x04 != 0 {
				channels = 2
			}
			if dec, err = opus.NewDecoder(opusRate, channels); err != nil {
				return fmt.Errorf("make the opus decoder: %w", err)
			}
			buf = make([]int16, maxOpusFrame*channels)
		}
		n, err := dec.Decode(pkt.Payload, buf)
		if err != nil {
			continue // a corrupt packet costs its 20 ms, not the call
		}
		if onPCM != nil {
			onPCM(append([]int16(nil), buf[:n*channels]...), opusRate, channels)
		}
	}
}

// conceal fills lost packets with Opus' packet-loss concealment, each as long
// as the last packet decoded.
func conceal(dec *opus.Decoder, channels, lost int, onPCM func([]int16, int, int)) {
	dur, err := dec.LastPacketDuration()
	if err != nil || dur <= 0 || dur > maxOpusFrame {
		return
	}
	for range lost {
		pcm := make([]int16, dur*channels)
		if dec.DecodePLC(pcm) != nil {
			return
		}
		if onPCM != nil {
			onPCM(pcm, opusRate, channels)
		}
	}
}
