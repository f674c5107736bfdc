// Package cpuclock reads the CPU time the process has used, for
// benchmarks on a shared machine: on a host whose cores other jobs also
// use, wall-clock time counts the time a benchmark waits for a core, CPU
// time does not.
package cpuclock

import "time"

// Since returns the CPU time the process has used since t0 (a value of
// Now).
func Since(t0 time.Duration) time.Duration { return Now() - t0 }
