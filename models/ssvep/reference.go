package ssvep

import (
	"fmt"
	"math"
)

// DefaultHarmonics is the number of harmonics in the reference signals
// unless a configuration says otherwise: 5, as in Chen et al. (2015).
const DefaultHarmonics = 5

// Reference writes the sine-cosine reference signals of a stimulus at freq
// Hz into dst and returns it: for harmonic h = 1..harmonics and sample
// i = 0..samples−1 at sampleRate Hz,
//
//	dst[2(h−1)][i]   = sin(2π·h·freq·i/sampleRate)
//	dst[2(h−1)+1][i] = cos(2π·h·freq·i/sampleRate)
//
// (Lin et al. 2006, Chen et al. 2015). dst has 2·harmonics rows of samples
// values each; nil allocates, and a dst of another shape panics. The phase
// origin (sample 0) does not matter to CCA: a sine-cosine pair spans every
// phase. Harmonics at or above the Nyquist frequency alias; callers that
// build decoders get them refused (see CCAConfig.Harmonics).
func Reference(dst [][]float64, freq, sampleRate float64, harmonics, samples int) [][]float64 {
	if harmonics < 1 || samples < 1 {
		panic(fmt.Sprintf("ssvep: reference with %d harmonics and %d samples", harmonics, samples))
	}
	if !(sampleRate > 0) || math.IsInf(sampleRate, 0) || math.IsNaN(freq) || math.IsInf(freq, 0) {
		panic(fmt.Sprintf("ssvep: reference at %v Hz, sample rate %v Hz", freq, sampleRate))
	}
	dst = useMatrix(dst, 2*harmonics, samples)
	for h := 1; h <= harmonics; h++ {
		s, c := dst[2*(h-1)], dst[2*(h-1)+1]
		w := 2 * math.Pi * float64(h) * freq / sampleRate
		for i := range samples {
			s[i], c[i] = math.Sincos(w * float64(i))
		}
	}
	return dst
}

// maxHarmonics returns the number of harmonics of freq (Hz) strictly below
// the Nyquist frequency sampleRate/2.
func maxHarmonics(freq, sampleRate float64) int {
	n := int(math.Ceil(sampleRate/2/freq)) - 1
	for n > 0 && float64(n)*freq >= sampleRate/2 {
		n--
	}
	return max(n, 0)
}

// resolveHarmonics applies the Harmonics default and checks that every
// harmonic of every target lies below the Nyquist frequency.
func resolveHarmonics(harmonics int, freqs []float64, sampleRate float64) (int, error) {
	fmax := 0.0
	for _, f := range freqs {
		fmax = max(fmax, f)
	}
	limit := maxHarmonics(fmax, sampleRate)
	if limit < 1 {
		return 0, fmt.Errorf("ssvep: target %v Hz is at or above the Nyquist frequency %v Hz", fmax, sampleRate/2)
	}
	if harmonics == 0 {
		return min(DefaultHarmonics, limit), nil
	}
	if harmonics < 0 {
		return 0, fmt.Errorf("ssvep: harmonics must be ≥ 1, got %d", harmonics)
	}
	if harmonics > limit {
		return 0, fmt.Errorf("ssvep: harmonic %d of %v Hz (%v Hz) is at or above the Nyquist frequency %v Hz: use at most %d harmonics",
			harmonics, fmax, float64(harmonics)*fmax, sampleRate/2, limit)
	}
	return harmonics, nil
}

// validateTargets checks target frequencies and the sample rate.
func validateTargets(freqs []float64, sampleRate float64) error {
	if !(sampleRate > 0) || math.IsInf(sampleRate, 0) {
		return fmt.Errorf("ssvep: sample rate must be positive and finite, got %v", sampleRate)
	}
	if len(freqs) == 0 {
		return fmt.Errorf("ssvep: no target frequencies")
	}
	for i, f := range freqs {
		if !(f > 0) || math.IsInf(f, 0) {
			return fmt.Errorf("ssvep: target %d frequency must be positive and finite, got %v", i, f)
		}
	}
	return nil
}

// useMatrix returns dst if it has rows×cols shape, a new matrix if dst is
// nil, and panics otherwise.
func useMatrix(dst [][]float64, rows, cols int) [][]float64 {
	if dst == nil {
		dst = make([][]float64, rows)
		buf := make([]float64, rows*cols)
		for r := range dst {
			dst[r] = buf[r*cols : (r+1)*cols : (r+1)*cols]
		}
		return dst
	}
	if len(dst) != rows {
		panic(fmt.Sprintf("ssvep: dst has %d rows, want %d", len(dst), rows))
	}
	for r := range dst {
		if len(dst[r]) != cols {
			panic(fmt.Sprintf("ssvep: dst row %d has length %d, want %d", r, len(dst[r]), cols))
		}
	}
	return dst
}

// useVector returns dst if it has length n, a new slice if dst is nil, and
// panics otherwise.
func useVector(dst []float64, n int) []float64 {
	if dst == nil {
		return make([]float64, n)
	}
	if len(dst) != n {
		panic(fmt.Sprintf("ssvep: dst has length %d, want %d", len(dst), n))
	}
	return dst
}

// checkWindow panics when x is not channels×samples and returns an error
// (without the package prefix) when it holds a non-finite value.
func checkWindow(x [][]float64, channels, samples int) error {
	if len(x) != channels {
		panic(fmt.Sprintf("ssvep: window has %d channels, want %d", len(x), channels))
	}
	for c, row := range x {
		if len(row) != samples {
			panic(fmt.Sprintf("ssvep: window channel %d has %d samples, want %d", c, len(row), samples))
		}
	}
	for c, row := range x {
		for i, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("channel %d sample %d is %v", c, i, v)
			}
		}
	}
	return nil
}
