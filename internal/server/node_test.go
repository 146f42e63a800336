package server

import (
	"strings"
	"testing"
)

func TestResolveNode(t *testing.T) {
	base := func() Config {
		return Config{Listen: "127.0.0.1:7990", DataDir: "/tmp/x", MaxParticipants: 50, MaxScreenShares: 10}
	}
	tests := []struct {
		name            string
		id, url         string
		wantErr         string
		wantID, wantURL string
	}{
		{"defaults: the listen address", "", "", "", "", "http://127.0.0.1:7990"},
		{"a node URL loses its trailing slash", "a", "http://10.0.0.2:7880/", "", "a", "http://10.0.0.2:7880"},
		{"a node URL without a scheme", "", "10.0.0.2:7880", "--node-url", "", ""},
		{"a node URL with a path", "", "http://10.0.0.2:7880/rooms", "--node-url", "", ""},
		{"a node id with a space", "node a", "", "--node-id", "", ""},
		{"a node id too long", strings.Repeat("n", 65), "", "--node-id", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base()
			c.NodeID, c.NodeURL = tt.id, tt.url
			err := c.Resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve: %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantID != "" && c.nodeID() != tt.wantID {
				t.Errorf("node id %q, want %q", c.nodeID(), tt.wantID)
			}
			if tt.wantID == "" && !strings.HasSuffix(c.nodeID(), ":7990") {
				t.Errorf("default node id %q, want HOSTNAME:7990", c.nodeID())
			}
			if c.nodeURL() != tt.wantURL {
				t.Errorf("node URL %q, want %q", c.nodeURL(), tt.wantURL)
			}
		})
	}
}
