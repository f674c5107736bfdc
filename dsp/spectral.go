package dsp

import (
	"fmt"
	"math"
)

// SpectralEdge returns the spectral edge frequency in Hz: the frequency
// below which fraction (in [0, 1], e.g. 0.95 for SEF95) of the power in
// [fmin, fmax] lies. Power is integrated as BandPower does (trapezoidal
// rule over the bins with fmin ≤ f ≤ fmax), giving the cumulative integral
// C at each bin; the edge is where C reaches fraction·C_last, linearly
// interpolated between the two bins that bracket it. That equals
// numpy.interp(fraction*C[-1], C, f) with
// C = scipy.integrate.cumulative_trapezoid(psd[m], freqs[m], initial=0).
// Where C is flat (zero-power bins) the lowest such frequency is returned.
// freqs must be increasing and as long as psd. The result is NaN when fewer
// than two bins lie in the range or their total power is not positive.
func SpectralEdge(psd, freqs []float64, fraction, fmin, fmax float64) float64 {
	const op = "SpectralEdge"
	checkLen(op, "freqs", len(freqs), len(psd))
	if !(fraction >= 0 && fraction <= 1) {
		panic(fmt.Sprintf("dsp: %s: fraction %v outside [0, 1]", op, fraction))
	}
	k0, k1 := winRange(freqs, fmin, fmax)
	if k1-k0 < 2 {
		return math.NaN()
	}
	total := BandPower(psd[k0:k1], freqs[k0:k1], fmin, fmax)
	if !(total > 0) {
		return math.NaN()
	}
	target := fraction * total
	if target <= 0 {
		return freqs[k0]
	}
	var cum float64
	for k := k0 + 1; k < k1; k++ {
		step := (freqs[k] - freqs[k-1]) * (psd[k] + psd[k-1]) / 2
		if cum+step >= target && step > 0 {
			return freqs[k-1] + (target-cum)/step*(freqs[k]-freqs[k-1])
		}
		cum += step
	}
	return freqs[k1-1]
}

// SpectralEntropy returns the Shannon entropy, in bits, of the PSD bins
// with fmin ≤ f ≤ fmax taken as a probability distribution:
// p_k = psd_k / Σ psd, H = −Σ p_k·log₂ p_k (0·log 0 = 0). With normalize,
// H is divided by log₂ N (N the number of bins in range), giving a value in
// [0, 1] — the convention of antropy.spectral_entropy(normalize=True),
// which applies it to all bins of its own Welch or periodogram PSD; pass
// the full range (0, +Inf) to reproduce it. The result is NaN when no bin
// lies in the range or the power in it is not positive, and 0 for a single
// bin.
func SpectralEntropy(psd, freqs []float64, fmin, fmax float64, normalize bool) float64 {
	checkLen("SpectralEntropy", "freqs", len(freqs), len(psd))
	k0, k1 := winRange(freqs, fmin, fmax)
	if k1 == k0 {
		return math.NaN()
	}
	var total float64
	for _, v := range psd[k0:k1] {
		total += v
	}
	if !(total > 0) {
		return math.NaN()
	}
	var h float64
	for _, v := range psd[k0:k1] {
		if p := v / total; p > 0 {
			h -= p * math.Log2(p)
		}
	}
	if n := k1 - k0; normalize {
		if n == 1 {
			return 0
		}
		h /= math.Log2(float64(n))
	}
	return h
}

// winRange returns the half-open index range of the increasing freqs that
// lie in [fmin, fmax].
func winRange(freqs []float64, fmin, fmax float64) (k0, k1 int) {
	k0 = len(freqs)
	for k, f := range freqs {
		if f >= fmin && f <= fmax {
			if k0 == len(freqs) {
				k0 = k
			}
			k1 = k + 1
		}
	}
	if k1 == 0 {
		return 0, 0
	}
	return k0, k1
}
