package server

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// call, router, peer and signalling loop must stop when its owner does.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
