package seizure

import (
	"fmt"
	"math"
)

// Baseline is a recording's own running baseline of feature vectors, for
// per-patient normalisation: each window's features are replaced by their
// z-score against the windows before it, (f − mean)/sd, so that a
// detector sees how far a window departs from this recording's
// background in units of the background's own variability, rather than
// its absolute level, which varies between patients, montages and
// amplifiers (and between simulated and real EEG) far more than between
// background and seizure onset.
//
// The mean and variance are causal and exponentially weighted in time: a
// window Δt seconds after the previous one enters them with weight
// α = max(1 − exp(−Δt/τ), 1/(n+1)), n the windows already in them, so the
// first τ/Δt windows are averaged equally and older ones then fade with
// time constant τ (the incremental weighted mean and variance of Finch,
// "Incremental calculation of weighted mean and variance", 2009), each
// window's deviation clipped to ±BaselineClip standard deviations. A gap
// in the stream (large Δt) lets the new windows replace the stale
// baseline. For the first τ/4 seconds of a recording (the warm-up, until
// the window start is τ/4 past the first window's) the baseline is too
// short to judge by: the z-scores are all 0. The standard deviation is
// floored at BaselineMinSD so that a constant feature (a flat channel)
// gives 0, not a division by zero.
//
// Baseline holds two vectors and four numbers, so a stream stage can
// checkpoint it (State, SetState).
type Baseline struct {
	tau         float64
	mean, vari  []float64
	n           int     // windows in the mean
	first, last float64 // starts of the first and latest windows, s
}

// BaselineClip bounds, after the warm-up, how far one window can pull the
// baseline: its deviation enters the mean and variance clipped to ±2
// standard deviations (a winsorised update, as Huber's estimators clip
// at 1.345–2), so that a seizure, which lasts tens of seconds to minutes,
// does not become its own baseline within τ. Unclipped, the variance
// grows with the seizure and its z-scores shrink towards 1/√(α·windows)
// (about 1.4 after 60 s at τ = 120 s); clipped at c standard deviations
// the standard deviation grows by at most a factor 1 + α(c²−1)/2 per
// window, 1.5α at c = 2 (at c = 3 it would be 4α: ×7 over a 60 s
// seizure at τ = 120 s), while a lasting shift of the background is still
// followed, by up to c·α standard deviations per window. On Gaussian
// background the clipped variance is about 0.9 of the true one.
const BaselineClip = 2

// BaselineMinSD floors the baseline's standard deviation of every
// feature.
const BaselineMinSD = 1e-6

// NewBaseline returns an empty baseline of d features with time constant
// tau seconds; it panics unless tau > 0 and finite.
func NewBaseline(d int, tau float64) *Baseline {
	if !(tau > 0) || math.IsInf(tau, 0) {
		panic(fmt.Sprintf("seizure: baseline time constant %v s", tau))
	}
	return &Baseline{tau: tau, mean: make([]float64, d), vari: make([]float64, d)}
}

// Len returns the number of features.
func (b *Baseline) Len() int { return len(b.mean) }

// Relative replaces f, the features of the window starting at t seconds
// (windows in order), by its z-scores against the baseline of the windows
// before it (all 0 during the warm-up), then adds the window's features
// to the baseline. It panics on a wrong length.
func (b *Baseline) Relative(f []float64, t float64) {
	if len(f) != len(b.mean) {
		panic(fmt.Sprintf("seizure: baseline of %d features, window has %d", len(b.mean), len(f)))
	}
	alpha := 1.0
	if b.n > 0 {
		alpha = max(-math.Expm1(-max(t-b.last, 0)/b.tau), 1/float64(b.n+1))
	} else {
		b.first = t
	}
	warm := b.n > 0 && t-b.first >= b.tau/4
	for j, v := range f {
		m, s2 := b.mean[j], b.vari[j]
		if b.n == 0 {
			m, s2 = v, 0
		}
		d := v - m
		f[j] = 0
		if warm {
			sd := math.Sqrt(max(s2, BaselineMinSD*BaselineMinSD))
			f[j] = d / sd
			d = max(-BaselineClip*sd, min(d, BaselineClip*sd))
		}
		inc := alpha * d
		b.mean[j] = m + inc
		b.vari[j] = (1 - alpha) * (s2 + d*inc)
	}
	b.n = min(b.n+1, maxBaselineCount)
	b.last = t
}

// maxBaselineCount caps the window count: past τ/Δt windows only the
// exponential weight matters, and the cap keeps the count representable
// in any state encoding.
const maxBaselineCount = 1 << 30

// BaselineState is what a Baseline carries from one window to the next.
type BaselineState struct {
	// Mean and Var are the baseline's mean and variance (copies).
	Mean, Var []float64
	// N counts the windows in it (capped at 2³⁰).
	N int
	// First and Last are the starts of the first and the latest window in
	// seconds.
	First, Last float64
}

// State returns b's state, to resume it elsewhere with SetState.
func (b *Baseline) State() BaselineState {
	return BaselineState{Mean: append([]float64(nil), b.mean...), Var: append([]float64(nil), b.vari...),
		N: b.n, First: b.first, Last: b.last}
}

// SetState resumes b from the State of a baseline of as many features;
// the z-scores that follow are bit for bit the original's. An error
// reports another length, a count out of range or a non-finite time.
func (b *Baseline) SetState(st BaselineState) error {
	if len(st.Mean) != len(b.mean) || len(st.Var) != len(b.vari) || st.N < 0 || st.N > maxBaselineCount {
		return fmt.Errorf("seizure: baseline state of %d means and %d variances after %d windows, want %d features and 0–%d windows",
			len(st.Mean), len(st.Var), st.N, len(b.mean), maxBaselineCount)
	}
	for _, t := range []float64{st.First, st.Last} {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return fmt.Errorf("seizure: baseline state: window start %v s", t)
		}
	}
	copy(b.mean, st.Mean)
	copy(b.vari, st.Var)
	b.n, b.first, b.last = st.N, st.First, st.Last
	return nil
}
