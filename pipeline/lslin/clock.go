package lslin

import "math"

// clockFit is the dejitter: an exponentially weighted least-squares line
// t ≈ a + b·n through the (sample index n, time stamp t) pairs of a
// stream, with a ridge prior pulling the slope b towards the nominal
// period b0:
//
//	minimise  Σᵢ λ^(N−i) (tᵢ − a − b·nᵢ)²  +  κ (b − b0)²
//
// λ = 2^(−1/(rate·halfLife)) forgets old samples with liblsl's half-life
// convention (its dejitter's smoothing_halftime, 90 s by default), so the
// line follows a slowly drifting amplifier clock; κ = rate³/12, the
// Σ(n − n̄)² of one second of samples, lets the slope follow the data
// after about a second and keeps it at 1/rate before. The weighted means
// and co-moments are updated in the West/Welford form, which stays
// accurate for any number of samples.
//
// Bound (docs/lsl.md, "Dejitter"): the fitted time of a sample is a
// weighted sum of the observed time stamps whose weights sum to 1 and
// whose absolute values sum to at most 5/3 (a straight line fitted to
// uniformly weighted points, read at the newest one; 1 + 2/e² ≈ 1.27 once
// the exponential weights dominate). If every time stamp is within ±J of
// its sample's true time on a line of slope b0, the fit is within
// (5/3)·J of every true time it is read at; TestClockFitBound checks the
// weight sums.
type clockFit struct {
	lambda, kappa, b0 float64

	// Origin of the fit: n0, t0 are subtracted before the arithmetic so
	// that it works on small numbers.
	n0      int64
	t0      float64
	w       float64 // Σ weights
	mx, my  float64 // weighted means of n − n0 and t − t0
	cxx     float64 // Σ w (x − mx)²
	cxy     float64 // Σ w (x − mx)(y − my)
	a, b    float64 // fitted line in origin coordinates
	samples int64
}

// newClockFit returns a fit for a stream of nominal rate Hz.
func newClockFit(rate, halfLife float64) clockFit {
	return clockFit{
		lambda: math.Pow(2, -1/(rate*halfLife)),
		kappa:  rate * rate * rate / 12,
		b0:     1 / rate,
		b:      1 / rate,
	}
}

// reset forgets every sample and starts the line at (n, t) with the
// nominal slope.
func (f *clockFit) reset(n int64, t float64) {
	*f = clockFit{lambda: f.lambda, kappa: f.kappa, b0: f.b0, b: f.b0, n0: n, t0: t}
}

// update adds sample n stamped t.
func (f *clockFit) update(n int64, t float64) {
	if f.samples == 0 && f.w == 0 {
		f.n0, f.t0 = n, t
	}
	x, y := float64(n-f.n0), t-f.t0
	f.w = f.lambda*f.w + 1
	dx, dy := x-f.mx, y-f.my
	f.mx += dx / f.w
	f.my += dy / f.w
	f.cxx = f.lambda*f.cxx + dx*(x-f.mx)
	f.cxy = f.lambda*f.cxy + dx*(y-f.my)
	f.b = (f.cxy + f.kappa*f.b0) / (f.cxx + f.kappa)
	f.a = f.my - f.b*f.mx
	f.samples++
}

// at returns the fitted time of sample n.
func (f *clockFit) at(n int64) float64 {
	return f.t0 + f.a + f.b*float64(n-f.n0)
}

// index returns the fractional sample index whose fitted time is t.
func (f *clockFit) index(t float64) float64 {
	return float64(f.n0) + (t-f.t0-f.a)/f.b
}
