package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/rooms-dev/rooms/pkg/api"
	"github.com/rooms-dev/rooms/pkg/client"
)

func TestHeadlessReportsMediaFailed(t *testing.T) {
	var out bytes.Buffer
	f := &Factory{IO: &IOStreams{Out: &out}, json: true}
	h := newHeadless(f, "http://127.0.0.1:7880", "room")
	err := h.event(context.Background(), nil, client.MediaFailed{PC: api.PCSubscribe,
		Transports: []string{"udp 192.0.2.1:7882"}, Reason: "media could not connect: tried UDP to 192.0.2.1:7882"})
	if err != nil {
		t.Fatalf("a media failure ended the headless call: %v", err)
	}
	var got struct {
		Type, PC, Reason string
		Tried            []string
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON line: %q: %v", out.String(), err)
	}
	if got.Type != "media_failed" || got.PC != "subscribe" || len(got.Tried) != 1 || got.Tried[0] != "udp 192.0.2.1:7882" || got.Reason == "" {
		t.Errorf("printed %+v, want media_failed with pc, tried and reason", got)
	}
}
