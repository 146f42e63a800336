package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestLogLine(t *testing.T) {
	tests := []struct {
		name string
		e    Entry
		want map[string]any
	}{
		{"an API action", Entry{Action: "lock", Room: "01jabcdefghjkmnpqrstvwxyz0", Actor: HostActor([]byte{1, 2, 3, 4, 5, 6, 7, 8}), Addr: "192.0.2.1", Via: ViaAPI},
			map[string]any{"level": "INFO", "msg": "audit", "action": "lock", "room": "01jabc…", "actor": "host:010203040506", "addr": "192.0.2.1", "via": "api"}},
		{"a removal in a call", Entry{Action: "remove", Room: "01jabcdefghjkmnpqrstvwxyz0", Actor: KeyActor("MCowBQYDK2VwAyEAabcdefghijklmnop"), Target: "p1", Addr: "2001:db8::1", Via: ViaCall},
			map[string]any{"level": "INFO", "msg": "audit", "action": "remove", "room": "01jabc…", "actor": "key:MCowBQYDK2Vw", "target": "p1", "addr": "2001:db8::1", "via": "call"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			Log(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), tt.e)
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			delete(got, "time")
			if len(got) != len(tt.want) {
				t.Fatalf("line %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

func TestActorsAreShort(t *testing.T) {
	if got := HostActor([]byte{0xab}); got != "host:ab" {
		t.Errorf("HostActor of a short hash = %q", got)
	}
	if got := KeyActor("abc"); got != "key:abc" {
		t.Errorf("KeyActor of a short key = %q", got)
	}
}
