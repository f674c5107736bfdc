package ssvep

import "testing"

// TestOneStandardError: the first candidate within one standard error of
// the best accuracy wins, not the best.
func TestOneStandardError(t *testing.T) {
	for _, c := range []struct {
		acc  []float64
		n    int
		want int
	}{
		{[]float64{0.70, 0.75, 0.60}, 32, 0}, // SE at 0.75 over 32 trials: 0.077
		{[]float64{0.50, 0.90}, 100, 1},      // SE 0.03: 0.5 is far below
		{[]float64{0.60, 0.60, 1.0}, 32, 2},  // SE 0 at 1.0
		{[]float64{0.66, 0.68}, 1000, 1},     // SE 0.015
	} {
		if got := oneStandardError(c.acc, c.n); got != c.want {
			t.Errorf("oneStandardError(%v, %d) = %d, want %d", c.acc, c.n, got, c.want)
		}
	}
}
