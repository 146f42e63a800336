package media

import (
	"github.com/gen2brain/malgo"
	"testing"
	"time"
)

func TestMixer(t *testing.T) {
	m := newMixer(4, 8)
	m.write("a", []int16{100, 100, 100, 100}, 1) // mono: 4 frames
	out := make([]int16, 4)
	m.mix(out)
	if out[0] != 100 || out[1] != 100 {
		t.Fatalf("one stream: %v, want it played on both channels", out)
	}
	m.write("b", []int16{30000, 30000, 30000, 30000, 30000, 30000, 30000, 30000}, 2)
	m.mix(out)
	if out[0] != 30100 {
		t.Fatalf("two streams: %v, want the sum", out)
	}
	m.write("c", []int16{30000, 30000, 30000, 30000, 30000, 30000, 30000, 30000}, 2)
	m.write("d", []int16{30000, 30000, 30000, 30000, 30000, 30000, 30000, 30000}, 2)
	m.mix(out)
	if out[0] != 32767 {
		t.Fatalf("loud streams: %d, want clipping at 32767", out[0])
	}
	// A stream that runs ahead keeps only the newest audio.
	m2 := newMixer(1, 2)
	m2.write("x", []int16{1, 2, 3, 4, 5, 6}, 1)
	got := make([]int16, 8)
	m2.mix(got)
	if got[0] != 5 || got[2] != 6 || got[4] != 0 {
		t.Fatalf("overflow: %v, want the two newest frames then silence", got)
	}
	// A stream waits for its buffer to fill before it plays.
	m3 := newMixer(10, 20)
	m3.write("y", []int16{7, 7}, 1)
	m3.mix(got)
	if got[0] != 0 {
		t.Fatalf("before the target depth: %v, want silence", got)
	}
}

func TestPlayerOnTheNullBackend(t *testing.T) {
	p, err := OpenPlayer(PlayerOptions{Null: true})
	if err != nil {
		t.Fatalf("null backend: %v", err)
	}
	defer p.Close()
	tone := make([]int16, 960)
	for i := range tone {
		tone[i] = int16(i % 100)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Played() < playRate/10 && time.Now().Before(deadline) {
		p.Write("ann", tone, playRate, 1)
		time.Sleep(20 * time.Millisecond)
	}
	if p.Played() < playRate/10 {
		t.Fatalf("the device took %d frames in 5 s, want a tenth of a second's worth", p.Played())
	}
}

func TestMicrophoneOnTheNullBackend(t *testing.T) {
	saved := micBackends
	micBackends = []malgo.Backend{backendNull}
	defer func() { micBackends = saved }()
	m, err := openMicrophone(AudioOptions{Source: "mic"})
	if err != nil {
		t.Fatalf("null capture device: %v", err)
	}
	defer m.Close()
	for i := 0; i < 3; i++ {
		a, _, err := m.Read()
		if err != nil {
			t.Fatal(err)
		}
		if info := a.ChunkInfo(); info.Len != toneChunk || info.Channels != 1 || info.SamplingRate != toneRate {
			t.Fatalf("chunk %+v, want 20 ms of 48 kHz mono", info)
		}
	}
	if _, err := openMicrophone(AudioOptions{Source: "/dev/snd/nope"}); err == nil {
		t.Fatal("a named microphone device was accepted")
	}
}
