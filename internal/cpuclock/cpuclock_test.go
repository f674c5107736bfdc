package cpuclock

import (
	"testing"
	"time"
)

// TestNow: busy work advances the clock, by no more than the wall time it
// took (one goroutine), and sleeping does not advance it.
func TestNow(t *testing.T) {
	t0, w0 := Now(), time.Now()
	x := 0.0
	for Since(t0) < 20*time.Millisecond {
		if time.Since(w0) > 20*time.Second {
			t.Fatalf("the clock advanced %v in 20 s of busy work", Since(t0))
		}
		for i := range 1000 {
			x += float64(i)
		}
	}
	if cpu, wall := Since(t0), time.Since(w0); cpu > wall+5*time.Millisecond || x == 0 {
		t.Errorf("%v of CPU time in %v", cpu, wall)
	}
	if !Process {
		return
	}
	t1 := Now()
	time.Sleep(100 * time.Millisecond)
	if slept := Since(t1); slept > 30*time.Millisecond {
		t.Errorf("sleeping 100 ms advanced the CPU clock %v", slept)
	}
}
