//go:build !linux

package lsl

import "time"

// clockOrigin starts the LSL clock at zero when the package loads: outside
// Linux the Go side does not read the clock liblsl reads.
func clockOrigin() (time.Time, int64) { return time.Now(), 0 }
