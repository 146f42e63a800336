package media

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestMeasureVideoCost reports what sending the test pattern costs this
// process: CPU (capture, scaling, VP8, packetizing; no network) and the
// bitrate of each encoding, one layer against simulcast. It takes about
// 10 s a configuration, so it runs only with ROOMS_MEASURE set: 1 for
// all, else the start of a configuration's name (single-320, single-640, simulcast).
//
//	ROOMS_MEASURE=1 go test -run TestMeasureVideoCost -v ./internal/media/
func TestMeasureVideoCost(t *testing.T) {
	if os.Getenv("ROOMS_MEASURE") == "" {
		t.Skip("set ROOMS_MEASURE=1 to measure (10 s a configuration)")
	}
	const seconds = 10
	for _, tt := range []struct {
		name string
		o    VideoOptions
	}{
		{"single-320: one layer, 320x240 at 250 kbps (the default with --simulcast=false)", VideoOptions{Source: "testsrc"}},
		{"single-640: one layer, 640x480 at 500 kbps", VideoOptions{Source: "testsrc", Width: 640, Height: 480, BitrateBps: 500_000}},
		{"simulcast: three layers, 640x480 at 500 kbps and its q and h", VideoOptions{Source: "testsrc", Simulcast: true}},
	} {
		if want := os.Getenv("ROOMS_MEASURE"); want != "1" && !strings.HasPrefix(tt.name, want) {
			continue
		}
		track, err := OpenVideo(context.Background(), tt.o)
		if err != nil {
			t.Fatal(err)
		}
		layers := append([]webrtc.TrackLocal{track.Track()}, track.Layers()...)
		ctxs := make([]*countingContext, len(layers))
		for i := range layers {
			ctxs[i] = newCountingContext(fmt.Sprint("measure-", i))
		}
		cpu0, t0 := cpuTime(t), time.Now()
		for i, l := range layers {
			if _, err := l.Bind(ctxs[i]); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(seconds * time.Second)
		for i, l := range layers {
			_ = l.Unbind(ctxs[i])
		}
		cpu, wall := cpuTime(t)-cpu0, time.Since(t0)
		line := fmt.Sprintf("%s: CPU %.1f%% of a core;", tt.name, 100*cpu.Seconds()/wall.Seconds())
		for i, l := range layers {
			line += fmt.Sprintf(" layer %q %.0f kbps (%d packets/s)", l.RID(),
				float64(ctxs[i].bytes.Load())*8/wall.Seconds()/1000, int(float64(ctxs[i].packets.Load())/wall.Seconds()))
		}
		t.Log(line)
		for _, c := range ctxs {
			c.close()
		}
		if err := track.Close(); err != nil {
			t.Error(err)
		}
	}
}

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingContext binds a track to nothing but a counter of what it
// writes, so a measurement sees the encoder and not a network stack.
type countingContext struct {
	id      string
	bytes   atomic.Int64
	packets atomic.Int64
	done    chan struct{}
}

func newCountingContext(id string) *countingContext {
	return &countingContext{id: id, done: make(chan struct{})}
}

func (c *countingContext) close() { close(c.done) }

func (c *countingContext) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}}
}
func (c *countingContext) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (c *countingContext) SSRC() webrtc.SSRC                                      { return 1 }
func (c *countingContext) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (c *countingContext) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (c *countingContext) WriteStream() webrtc.TrackLocalWriter                   { return c }
func (c *countingContext) ID() string                                             { return c.id }
func (c *countingContext) RTCPReader() interceptor.RTCPReader                     { return c }

func (c *countingContext) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	c.packets.Add(1)
	c.bytes.Add(int64(h.MarshalSize() + len(payload)))
	return len(payload), nil
}

func (c *countingContext) Write(b []byte) (int, error) {
	c.packets.Add(1)
	c.bytes.Add(int64(len(b)))
	return len(b), nil
}

// Read is the RTCP reader: no RTCP ever comes; closed, it ends.
func (c *countingContext) Read([]byte, interceptor.Attributes) (int, interceptor.Attributes, error) {
	<-c.done
	return 0, nil, io.EOF
}
