package view

import "math"

// Dominant-frequency search range in Hz (DominantFrequency).
const (
	DominantMin = 1.0
	DominantMax = 40.0
)

// DominantFrequency returns the frequency in Hz of the largest peak of a
// power spectrum above its aperiodic (1/f) trend, and false when fewer
// than three bins lie in [DominantMin, DominantMax] Hz. Bin i is at
// start + i·step Hz; psd holds powers (any unit, all positive for a real
// spectrum; non-positive and non-finite bins are skipped).
//
// The trend is the least-squares line through log10 power against log10
// frequency over the search range (the "aperiodic fit" of FOOOF with no
// knee), and the peak is the bin whose log power stands furthest above
// it. EEG power falls as 1/f^β, so the plain maximum of a spectrum is
// nearly always its lowest bin; the dominant rhythm (a 10 Hz alpha, an
// evolving seizure discharge) is the bump above that slope. The result is
// a bin frequency: its resolution is step.
func DominantFrequency(start, step float64, psd []float64) (float64, bool) {
	var n, sx, sy, sxx, sxy float64
	for i, p := range psd {
		f := start + float64(i)*step
		if f < DominantMin || f > DominantMax || !(p > 0) || math.IsInf(p, 0) {
			continue
		}
		x, y := math.Log10(f), math.Log10(p)
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	if n < 3 {
		return 0, false
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	icept := (sy - slope*sx) / n
	best, bestF := math.Inf(-1), 0.0
	for i, p := range psd {
		f := start + float64(i)*step
		if f < DominantMin || f > DominantMax || !(p > 0) || math.IsInf(p, 0) {
			continue
		}
		if r := math.Log10(p) - (icept + slope*math.Log10(f)); r > best {
			best, bestF = r, f
		}
	}
	return bestF, true
}
