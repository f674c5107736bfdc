package lsl

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them:
// outlets and inlets must stop everything they start.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
