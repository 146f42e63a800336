package media

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/pion/rtp"
)

// maxBadPackets is how many unreadable packets in a row a decoder skips
// before giving up: one malformed datagram must not end a call, but a reader
// that only fails must not spin forever either.
const maxBadPackets = 100

// nextPacket reads the next packet of r. It returns io.EOF when the track
// has ended and ctx.Err() once ctx is done.
func nextPacket(ctx context.Context, r RTPReader) (*rtp.Packet, error) {
	for bad := 0; ; bad++ {
		pkt, _, err := r.ReadRTP()
		switch {
		case err == nil && pkt != nil:
			return pkt, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe):
			return nil, io.EOF
		case errors.Is(err, os.ErrDeadlineExceeded) || bad >= maxBadPackets:
			return nil, err
		}
	}
}

// interruptOnDone makes a blocked ReadRTP return when ctx ends, for readers
// that support read deadlines.
func interruptOnDone(ctx context.Context, r RTPReader) (stop func() bool) {
	d, ok := r.(interface{ SetReadDeadline(time.Time) error })
	if !ok {
		return func() bool { return false }
	}
	return context.AfterFunc(ctx, func() { _ = d.SetReadDeadline(time.Now()) })
}
