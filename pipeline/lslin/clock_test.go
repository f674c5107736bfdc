package lslin

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestClockFitBound checks the dejitter's error bound: read at the newest
// sample, the fitted time is Σ wᵢ tᵢ + const with Σ wᵢ = 1 and Σ |wᵢ| ≤ 5/3,
// for few samples (uniform weights, prior-dominated slope) and many
// (exponential weights). The weights are the fit's response to a unit
// change of one time stamp; the fit is linear in the time stamps.
func TestClockFitBound(t *testing.T) {
	const rate, halfLife = 100.0, 2.0 // 200-sample half-life: steady state within the test
	for _, n := range []int{1, 2, 3, 10, 50, 100, 101, 300, 1000, 3000} {
		fit := func(bump int) float64 {
			f := newClockFit(rate, halfLife)
			for i := range n {
				ts := 50 + float64(i)/rate
				if i == bump {
					ts++
				}
				f.update(int64(i), ts)
			}
			return f.at(int64(n - 1))
		}
		base := fit(-1)
		if want := 50 + float64(n-1)/rate; math.Abs(base-want) > 1e-9 {
			t.Errorf("n=%d: jitter-free fit %.12f, want %.12f", n, base, want)
		}
		var sum, abs float64
		for i := range n {
			w := fit(i) - base
			sum += w
			abs += math.Abs(w)
		}
		if math.Abs(sum-1) > 1e-6 {
			t.Errorf("n=%d: weights sum to %v, want 1", n, sum)
		}
		if abs > 5.0/3+1e-6 {
			t.Errorf("n=%d: Σ|w| = %v, over the documented 5/3", n, abs)
		}
		t.Logf("n=%d: Σ|w| = %.4f", n, abs)
	}
}

// TestClockFitDrift: an amplifier 0.05% fast, stamped with ±2 ms jitter,
// is followed: after a minute the fitted time of every recent sample is
// within the jitter bound of the truth, where the nominal rate would be
// 30 ms off.
func TestClockFitDrift(t *testing.T) {
	const rate, J = 250.0, 0.002
	trueRate := rate * 1.0005
	f := newClockFit(rate, 90)
	r := rand.New(rand.NewPCG(1, 2))
	n := int64(60 * rate)
	for i := range n {
		f.update(i, 1000+float64(i)/trueRate+J*(2*r.Float64()-1))
	}
	for _, i := range []int64{n - 1, n - 100, n - 1000} {
		truth := 1000 + float64(i)/trueRate
		if d := math.Abs(f.at(i) - truth); d > 5.0/3*J {
			t.Errorf("sample %d: fit %.6f off the truth by %.3g s, over (5/3)·J = %.3g", i, f.at(i), d, 5.0/3*J)
		}
		if idx := f.index(truth); math.Abs(idx-float64(i)) > 5.0/3*J*rate {
			t.Errorf("sample %d: index of its true time %.3f", i, idx)
		}
	}
	if nominal := float64(n-1) / rate; math.Abs(nominal-float64(n-1)/trueRate) < 0.02 {
		t.Fatalf("test drift too small to matter: %v", nominal)
	}
}
