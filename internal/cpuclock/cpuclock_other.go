//go:build !unix

package cpuclock

import "time"

// Process reports whether Now reads the process's CPU time (true) or, where
// the system offers none, the wall clock.
const Process = false

var start = time.Now()

// Now returns the wall-clock time since the program started: this system
// has no getrusage.
func Now() time.Duration { return time.Since(start) }
