package media

import (
	"testing"

	"go.uber.org/goleak"
)

// Encoders, decoders and PeerConnections all start goroutines; every test
// must leave none behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
