package media

import (
	"image"
	"io"
	"math"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// encodePatternFrames runs n Pattern frames through the real VP8 encoder at
// the real frame rate (rate control budgets by wall-clock time). forceKey
// lists frame numbers to encode as keyframes, as a PLI would.
func encodePatternFrames(t *testing.T, o VideoOptions, n int, forceKey ...int) [][]byte {
	t.Helper()
	if err := o.setDefaults(); err != nil {
		t.Fatal(err)
	}
	p, err := vp8Params(o)
	if err != nil {
		t.Fatal(err)
	}
	frame := uint32(0)
	period := time.Second / time.Duration(o.FPS)
	next := time.Now()
	src := video.ReaderFunc(func() (image.Image, func(), error) {
		time.Sleep(time.Until(next))
		next = next.Add(period)
		img := Pattern(o.Width, o.Height, frame, o.Label)
		frame++
		return img, func() {}, nil
	})
	enc, err := p.BuildVideoEncoder(src, prop.Media{Video: prop.Video{Width: o.Width, Height: o.Height, FrameRate: float32(o.FPS)}})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	force := map[int]bool{}
	for _, k := range forceKey {
		force[k] = true
	}
	frames := make([][]byte, 0, n)
	for i := range n {
		if force[i] {
			if err := enc.Controller().(interface{ ForceKeyFrame() error }).ForceKeyFrame(); err != nil {
				t.Fatal(err)
			}
		}
		b, release, err := enc.Read()
		if err != nil {
			t.Fatalf("encoding frame %d: %v", i, err)
		}
		frames = append(frames, append([]byte(nil), b...))
		release()
	}
	return frames
}

// packetize turns encoded frames into RTP the way mediadevices' track does.
func packetize(frames [][]byte, payloader rtp.Payloader, pt uint8, clock, samplesPerFrame uint32) [][]*rtp.Packet {
	pz := rtp.NewPacketizer(1200, pt, 0x1234, payloader, rtp.NewRandomSequencer(), clock)
	out := make([][]*rtp.Packet, len(frames))
	for i, f := range frames {
		out[i] = pz.Packetize(f, samplesPerFrame)
	}
	return out
}

// packetReader replays packets, then io.EOF, like a track that ended;
// errs are returned first, one a read, like malformed datagrams.
type packetReader struct {
	pkts []*rtp.Packet
	errs []error
}

func (r *packetReader) ReadRTP() (*rtp.Packet, interceptor.Attributes, error) {
	if len(r.errs) > 0 {
		err := r.errs[0]
		r.errs = r.errs[1:]
		return nil, nil, err
	}
	if len(r.pkts) == 0 {
		return nil, nil, io.EOF
	}
	p := r.pkts[0]
	r.pkts = r.pkts[1:]
	return p, nil, nil
}

// encodeTone encodes n 20 ms packets of a ToneHz sine with the real Opus encoder.
func encodeTone(t *testing.T, n int) [][]byte {
	t.Helper()
	p, err := opus.NewParams()
	if err != nil {
		t.Fatal(err)
	}
	p.BitRate = 32_000
	tone := &toneSource{closed: make(chan struct{}), unpaced: true}
	enc, err := p.BuildAudioEncoder(audio.ReaderFunc(tone.Read), prop.Media{Audio: prop.Audio{SampleRate: toneRate, ChannelCount: 1, Latency: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	out := make([][]byte, 0, n)
	for i := range n {
		b, _, err := enc.Read()
		if err != nil {
			t.Fatalf("encoding packet %d: %v", i, err)
		}
		out = append(out, append([]byte(nil), b...))
	}
	return out
}

// dominantHz estimates the frequency of a tone from its rising zero
// crossings, which is plenty for one clean sine.
func dominantHz(pcm []int16, rate, channels int) float64 {
	if channels > 1 {
		mono := make([]int16, 0, len(pcm)/channels)
		for i := 0; i+channels <= len(pcm); i += channels {
			mono = append(mono, pcm[i])
		}
		pcm = mono
	}
	first, last, crossings := -1, -1, 0
	for i := 1; i < len(pcm); i++ {
		if pcm[i-1] < 0 && pcm[i] >= 0 {
			if first < 0 {
				first = i
			} else {
				crossings++
			}
			last = i
		}
	}
	if crossings == 0 {
		return 0
	}
	return float64(crossings) * float64(rate) / float64(last-first)
}

// rms is the loudness of pcm, to tell a tone from silence.
func rms(pcm []int16) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}

// vp8KeyframeStart reports whether p begins a VP8 keyframe, from the payload
// descriptor (S bit, partition 0) and the frame tag's inverse key bit.
func vp8KeyframeStart(p *rtp.Packet) bool {
	var d codecs.VP8Packet
	payload, err := d.Unmarshal(p.Payload)
	return err == nil && d.S == 1 && d.PID == 0 && len(payload) > 0 && payload[0]&0x01 == 0
}
