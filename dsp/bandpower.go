package dsp

import "math"

// Band is a named frequency range in Hz, inclusive at both ends.
type Band struct {
	Name string
	Low  float64
	High float64
}

// StandardBands are the classical EEG bands as MNE's tutorials and YASA
// name them, in Hz.
var StandardBands = []Band{
	{"delta", 1, 4},
	{"theta", 4, 8},
	{"alpha", 8, 12},
	{"beta", 12, 30},
	{"gamma", 30, 45},
}

// BandPower integrates a one-sided PSD over [low, high] Hz with the
// trapezoidal rule over the bins whose frequency lies in the band (as
// numpy.trapezoid(psd[m], freqs[m]) with m = (freqs >= low) & (freqs <= high)).
// For a PSD in V²/Hz the result is in V². freqs must be increasing and as
// long as psd. A band holding fewer than two bins integrates to 0.
func BandPower(psd, freqs []float64, low, high float64) float64 {
	checkLen("BandPower", "freqs", len(freqs), len(psd))
	var p float64
	prev := -1
	for k, f := range freqs {
		if f < low || f > high {
			continue
		}
		if prev >= 0 {
			p += (f - freqs[prev]) * (psd[k] + psd[prev]) / 2
		}
		prev = k
	}
	return p
}

// PeakFrequency returns the frequency in Hz of the largest PSD bin in
// [low, high] (the first on ties), or NaN when no bin lies in the range.
// freqs must be as long as psd.
func PeakFrequency(psd, freqs []float64, low, high float64) float64 {
	checkLen("PeakFrequency", "freqs", len(freqs), len(psd))
	best, at := math.Inf(-1), math.NaN()
	for k, f := range freqs {
		if f >= low && f <= high && psd[k] > best {
			best, at = psd[k], f
		}
	}
	return at
}
