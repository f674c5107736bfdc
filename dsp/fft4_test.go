package dsp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestRealFFT4 checks the four-at-once vector path (lengths whose half is
// not a multiple of 4: n = 250, 500, …) against the pure-Go path, one
// transform at a time: the stage kernels perform each transform's
// operations in the pure-Go order, so Coefficients and AddPower agree
// exactly (== on every float, so up to the sign of zeros).
func TestRealFFT4(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 4))
	tested := 0
	for _, n := range append(fftLengths(), 250, 500, 1000, 150, 90, 30, 6) {
		f, ref := NewRealFFT(n), pureRealFFT(n)
		if !f.on4() {
			continue
		}
		tested++
		var x [4][]float64
		for c := range x {
			x[c] = make([]float64, n)
			for i := range x[c] {
				x[c][i] = r.NormFloat64()
			}
		}
		var coef [4][]complex128
		for c := range coef {
			coef[c] = make([]complex128, n/2+1)
		}
		f.coefficients4(&coef, &x)
		pow := make([]float64, n/2+1)
		for k := range pow {
			pow[k] = r.Float64()
		}
		want := append([]float64(nil), pow...)
		f.addPower4(&[4][]float64{pow, pow, pow, pow}, &x)
		for c := range 4 {
			w := ref.Coefficients(nil, x[c])
			for k := range w {
				if coef[c][k] != w[k] {
					t.Fatalf("n %d transform %d bin %d: %v, pure Go %v", n, c, k, coef[c][k], w[k])
				}
			}
			ref.AddPower(want, x[c])
		}
		for k := range want {
			if pow[k] != want[k] {
				t.Fatalf("n %d bin %d: power %v, pure Go %v", n, k, pow[k], want[k])
			}
		}
	}
	if useAVX2 && tested == 0 {
		t.Fatal("no length ran four at once")
	}
	t.Log(fmt.Sprint(tested, " lengths four at once"))
}

func BenchmarkRealFFT4(b *testing.B) {
	for _, n := range []int{250, 500} {
		var x [4][]float64
		for c := range x {
			x[c] = make([]float64, n)
			for i := range x[c] {
				x[c][i] = rand.NormFloat64()
			}
		}
		pow := make([]float64, n/2+1)
		b.Run(fmt.Sprintf("n=%d/one-at-a-time", n), func(b *testing.B) {
			f := pureRealFFT(n)
			for b.Loop() {
				for c := range 4 {
					f.AddPower(pow, x[c])
				}
			}
		})
		b.Run(fmt.Sprintf("n=%d/four-at-once", n), func(b *testing.B) {
			f := NewRealFFT(n)
			if !f.on4() {
				b.Skip("no vector path")
			}
			for b.Loop() {
				f.addPower4(&[4][]float64{pow, pow, pow, pow}, &x)
			}
		})
	}
}

// TestFourAtOncePlans checks Welch.PSD, CSD.Compute and CSD.Spectra at
// segment lengths that run four transforms at once (250 and 500 samples:
// 1 s at 250 and 500 Hz, the seizure monitor's rates) against the same
// plans one transform at a time on the pure-Go path, and WelchStream
// (one segment at a time) against Welch.PSD: equal to the bit, means and
// medians, channel counts with and without a remainder of four.
func TestFourAtOncePlans(t *testing.T) {
	if !useAVX2 {
		t.Skip("no vector FFT in this build or on this CPU (pure-Go path only)")
	}
	defer func(v bool) { useAVX2 = v }(useAVX2)
	for _, nper := range []int{250, 500} {
		for _, avg := range []Average{AverageMean, AverageMedian} {
			for _, ch := range []int{4, 7} {
				wc := WelchConfig{SampleRate: float64(nper), SegmentLen: nper, Average: avg}
				x := csdRandom(ch, 9*nper/2+17) // 8 segments and a tail
				run := func(vec bool) (psd []float64, csd *CSDMatrix, sp *SegmentSpectra) {
					useAVX2 = vec
					w, err := NewWelch(wc)
					if err != nil {
						t.Fatal(err)
					}
					if vec && !w.fft.on4() {
						t.Fatalf("nperseg %d: not four at once", nper)
					}
					psd = w.PSD(nil, x[ch-1])
					if avg == AverageMean {
						if s := w.NewStream(1).PSD(nil, 0, x[ch-1], 0); !equalFloats(s, psd) {
							t.Errorf("nperseg %d: WelchStream differs from Welch.PSD", nper)
						}
					}
					c, err := NewCSD(CSDConfig{WelchConfig: wc, Channels: ch})
					if err != nil {
						t.Fatal(err)
					}
					return psd, c.Compute(nil, x), c.Spectra(nil, x, nper/3)
				}
				p1, c1, s1 := run(true)
				p0, c0, s0 := run(false)
				name := fmt.Sprintf("nperseg %d, %v, %d ch", nper, avg, ch)
				if !equalFloats(p1, p0) {
					t.Errorf("%s: Welch.PSD four at once differs from one at a time", name)
				}
				for i, v := range c1.Data {
					if v != c0.Data[i] {
						t.Fatalf("%s: CSD entry %d: %v, one at a time %v", name, i, v, c0.Data[i])
					}
				}
				if !equalFloats(s1.Re, s0.Re) || !equalFloats(s1.Im, s0.Im) {
					t.Errorf("%s: CSD.Spectra four at once differs from one at a time", name)
				}
			}
		}
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFourAtOnceMultitaper checks Multitaper.PSD at window lengths that
// run four tapers at once (2 s at 250 Hz, 1 s at 500 Hz) against the pure-Go
// path one taper at a time: equal to the bit, fixed and adaptive weights,
// tapers in groups of four and a remainder.
func TestFourAtOnceMultitaper(t *testing.T) {
	if !useAVX2 {
		t.Skip("no vector FFT in this build or on this CPU (pure-Go path only)")
	}
	defer func(v bool) { useAVX2 = v }(useAVX2)
	x := csdRandom(1, 500)[0]
	for _, rate := range []float64{250, 500} {
		for _, adaptive := range []bool{false, true} {
			cfg := MultitaperConfig{SampleRate: rate, Len: 500, Bandwidth: 8 * rate / 500, Adaptive: adaptive} // NW 4: 7 tapers
			run := func(vec bool) []float64 {
				useAVX2 = vec
				p, err := NewMultitaper(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if vec && !p.fft.on4() {
					t.Fatal("not four at once")
				}
				if vec && (p.ntapers < 4 || p.ntapers%4 == 0) {
					t.Fatalf("%d tapers: no group of four and remainder to test", p.ntapers)
				}
				return p.PSD(nil, x)
			}
			if got, want := run(true), run(false); !equalFloats(got, want) {
				t.Errorf("rate %v adaptive %v: four tapers at once differ from one at a time", rate, adaptive)
			}
		}
	}
}
