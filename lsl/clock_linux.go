package lsl

import (
	"syscall"
	"time"
	"unsafe"
)

// clockOrigin pairs a Go monotonic time with CLOCK_MONOTONIC read by the
// system call. Go's monotonic clock on Linux is CLOCK_MONOTONIC itself, so
// the pair fixes the offset for the life of the process; the tightest of a
// few brackets bounds the error by the system call's duration (≈100 ns).
func clockOrigin() (time.Time, int64) {
	best := time.Duration(1 << 62)
	var start time.Time
	var base int64
	for range 5 {
		t0 := time.Now()
		var ts syscall.Timespec
		const clockMonotonic = 1
		if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
			return time.Now(), 0
		}
		t1 := time.Now()
		if d := t1.Sub(t0); d < best {
			best = d
			start = t0.Add(d / 2)
			base = ts.Sec*1e9 + ts.Nsec
		}
	}
	return start, base
}
