package signal_test

import (
	"encoding/json"
	"testing"

	wire "github.com/rooms-dev/rooms/pkg/api"
)

// TestChatIsRelayedSafe sends a chat message carrying escape sequences,
// the 8-bit CSI and a right-to-left override: what comes back to the call
// has none of them, and keeps its line break as "\n".
func TestChatIsRelayedSafe(t *testing.T) {
	e := newEnv(t)
	ws := e.dial(t, e.roomID)
	send(t, ws, signedJoin(t, ws, e.roomID, "ann"))
	send(t, ws, map[string]any{"type": "chat", "data": map[string]any{"text": "\x1b]52;c;ZXZpbA==\x07hi\u009b2J\r\nBo: \u202Egnp.exe"}})
	for {
		m, err := readMsg(t, ws)
		if err != nil {
			t.Fatalf("no chat came back: %v", err)
		}
		if m.Type != wire.MsgChat {
			continue
		}
		var c wire.Chat
		if err := json.Unmarshal(m.Data, &c); err != nil {
			t.Fatal(err)
		}
		if want := "]52;c;ZXZpbA==hi2J\nBo: gnp.exe"; c.Text != want {
			t.Fatalf("relayed %q, want %q", c.Text, want)
		}
		return
	}
}
