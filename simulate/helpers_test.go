package simulate

import (
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// read returns samples [start, stop) of every channel.
func read(t testing.TB, s *Session, start, stop int64) [][]float64 {
	t.Helper()
	dst := make([][]float64, len(s.Info().Channels))
	for c := range dst {
		dst[c] = make([]float64, stop-start)
	}
	if err := s.ReadSamples(dst, start, stop); err != nil {
		t.Fatal(err)
	}
	return dst
}

func mustNew(t testing.TB, c Config) *Session {
	t.Helper()
	s, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func chanIndex(t testing.TB, s *Session, label string) int {
	t.Helper()
	for i, c := range s.Info().Channels {
		if c.Label == label {
			return i
		}
	}
	t.Fatalf("no channel %q", label)
	return -1
}

// quiet returns a config with every component off.
func quiet(seed uint64, duration float64) Config {
	return Config{Seed: seed, Duration: duration}
}

func hann(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
	}
	return w
}

// spectra returns the Hann-windowed FFT of each seg-long segment of x
// (50% overlap, mean removed).
func spectra(x []float64, seg int) [][]complex128 {
	fft := fourier.NewFFT(seg)
	w := hann(seg)
	buf := make([]float64, seg)
	var out [][]complex128
	for o := 0; o+seg <= len(x); o += seg / 2 {
		var mean float64
		for _, v := range x[o : o+seg] {
			mean += v
		}
		mean /= float64(seg)
		for i := range buf {
			buf[i] = (x[o+i] - mean) * w[i]
		}
		out = append(out, fft.Coefficients(nil, buf))
	}
	return out
}

// welch is a one-sided Welch PSD in units²/Hz with Hann segments of seg
// samples; bin k is k·rate/seg Hz.
func welch(x []float64, rate float64, seg int) []float64 {
	var s2 float64
	for _, v := range hann(seg) {
		s2 += v * v
	}
	sp := spectra(x, seg)
	p := make([]float64, seg/2+1)
	for _, X := range sp {
		for k, v := range X {
			a := cmplx.Abs(v)
			p[k] += a * a
		}
	}
	for k := range p {
		p[k] *= 2 / (rate * s2 * float64(len(sp)))
	}
	return p
}

// periodogram is welch with a single segment covering x.
func periodogram(x []float64, rate float64) []float64 { return welch(x, rate, len(x)) }

// coherence is the Welch magnitude-squared coherence of x and y per bin.
func coherence(x, y []float64, seg int) []float64 {
	sx, sy := spectra(x, seg), spectra(y, seg)
	pxx := make([]float64, seg/2+1)
	pyy := make([]float64, seg/2+1)
	pxy := make([]complex128, seg/2+1)
	for i := range sx {
		for k := range pxx {
			pxx[k] += real(sx[i][k] * cmplx.Conj(sx[i][k]))
			pyy[k] += real(sy[i][k] * cmplx.Conj(sy[i][k]))
			pxy[k] += sx[i][k] * cmplx.Conj(sy[i][k])
		}
	}
	c := make([]float64, len(pxx))
	for k := range c {
		a := cmplx.Abs(pxy[k])
		c[k] = a * a / (pxx[k] * pyy[k])
	}
	return c
}

// bin returns the index of frequency f for a seg-long transform.
func bin(f, rate float64, seg int) int { return int(math.Round(f * float64(seg) / rate)) }

func rms(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return math.Sqrt(s / float64(len(x)))
}

func maxAbs(x []float64) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// lineLength is the sum of absolute differences.
func lineLength(x []float64) float64 {
	var s float64
	for i := 1; i < len(x); i++ {
		s += math.Abs(x[i] - x[i-1])
	}
	return s
}
