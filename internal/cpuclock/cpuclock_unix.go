//go:build unix

package cpuclock

import "syscall"

import "time"

// Process reports whether Now reads the process's CPU time (true) or, where
// the system offers none, the wall clock.
const Process = true

// Now returns the CPU time (user and system, every thread) the process
// has used so far, from getrusage(RUSAGE_SELF).
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic("cpuclock: getrusage: " + err.Error())
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
