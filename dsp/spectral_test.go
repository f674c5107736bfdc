package dsp

import (
	"fmt"
	"math"
	"testing"
)

// TestSpectralSummariesNumpy compares SpectralEdge and SpectralEntropy with
// the numpy formulas of testdata/make_mt_golden.py on scipy Welch PSDs.
func TestSpectralSummariesNumpy(t *testing.T) {
	const tol = 1e-9 // relative
	for i, c := range loadMTGolden(t).Summaries {
		for _, e := range c.Edges {
			got := SpectralEdge(c.PSD, c.Freqs, e.Fraction, e.FMin, mtInf(e.FMax))
			if math.Abs(got-e.Edge) > tol*e.Edge {
				t.Errorf("case %d: SpectralEdge(%v, [%v, %v]) = %.15g, numpy %.15g", i, e.Fraction, e.FMin, mtInf(e.FMax), got, e.Edge)
			}
		}
		for _, e := range c.Entropies {
			got := SpectralEntropy(c.PSD, c.Freqs, e.FMin, mtInf(e.FMax), e.Normalize)
			if math.Abs(got-e.Entropy) > tol*e.Entropy {
				t.Errorf("case %d: SpectralEntropy([%v, %v], %v) = %.15g, numpy %.15g", i, e.FMin, mtInf(e.FMax), e.Normalize, got, e.Entropy)
			}
		}
	}
}

func TestSpectralSummaryEdges(t *testing.T) {
	freqs := []float64{0, 1, 2, 3, 4}
	flat := []float64{1, 1, 1, 1, 1}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"edge flat 50%", SpectralEdge(flat, freqs, 0.5, 0, 4), 2},
		{"edge flat 25% sub-range", SpectralEdge(flat, freqs, 0.25, 1, 3), 1.5},
		{"edge fraction 0", SpectralEdge(flat, freqs, 0, 1, 4), 1},
		{"edge fraction 1", SpectralEdge(flat, freqs, 1, 0, 4), 4},
		{"edge zero power below", SpectralEdge([]float64{0, 0, 0, 2, 2}, freqs, 0, 0, 4), 0},
		{"edge plateau picks lowest", SpectralEdge([]float64{2, 0, 0, 0, 2}, freqs, 0.5, 0, 4), 1},
		{"entropy flat normalized", SpectralEntropy(flat, freqs, 0, 4, true), 1},
		{"entropy flat bits", SpectralEntropy(flat, freqs, 0, 3, false), 2},
		{"entropy single peak", SpectralEntropy([]float64{0, 0, 5, 0, 0}, freqs, 0, 4, true), 0},
		{"entropy one bin", SpectralEntropy(flat, freqs, 2, 2, true), 0},
	} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	for _, v := range []float64{
		SpectralEdge(flat, freqs, 0.5, 10, 20),
		SpectralEdge(flat, freqs, 0.5, 2, 2),
		SpectralEdge(make([]float64, 5), freqs, 0.5, 0, 4),
		SpectralEntropy(flat, freqs, 10, 20, true),
		SpectralEntropy(make([]float64, 5), freqs, 0, 4, false),
	} {
		if !math.IsNaN(v) {
			t.Errorf("degenerate summary %v, want NaN", v)
		}
	}
}

func ExampleSpectralEdge() {
	// A PSD falling linearly from 1 at 0 Hz to 0 at 40 Hz: half of the power
	// lies below 40·(1−1/√2) ≈ 11.7 Hz.
	freqs := make([]float64, 41)
	psd := make([]float64, 41)
	for k := range freqs {
		freqs[k] = float64(k)
		psd[k] = 1 - float64(k)/40
	}
	fmt.Printf("SEF50 %.1f Hz, SEF95 %.1f Hz\n",
		SpectralEdge(psd, freqs, 0.5, 0, 40), SpectralEdge(psd, freqs, 0.95, 0, 40))
	fmt.Printf("normalized entropy %.3f\n", SpectralEntropy(psd, freqs, 0, 40, true))
	// Output:
	// SEF50 11.7 Hz, SEF95 31.1 Hz
	// normalized entropy 0.945
}
