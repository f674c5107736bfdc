package lsl

import "time"

// LocalClock returns the LSL clock of this machine in seconds: the
// monotonic clock liblsl reads with std::chrono::steady_clock, which on
// Linux is CLOCK_MONOTONIC (seconds since boot, not counting suspend). A
// Go process and a liblsl process on the same Linux machine therefore
// stamp samples on the same clock, and their time correction is zero up to
// the probes' resolution.
//
// Elsewhere the clock starts at an arbitrary origin; time correction
// measures the offset as it would between two machines.
func LocalClock() float64 {
	d := time.Since(clockStart) // monotonic reading, as runtime nanotime
	ns := clockBaseNS + d.Nanoseconds()
	// As liblsl: whole seconds and the remainder converted separately keep
	// the nanoseconds that one float64 division would round away.
	return float64(ns/1e9) + float64(ns%1e9)/1e9
}

var clockStart, clockBaseNS = clockOrigin()
