package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMultitaperMNE compares with mne.time_frequency.psd_array_multitaper.
func TestMultitaperMNE(t *testing.T) {
	const tol = 1e-9 // relative per bin (issue 4: PSD ≤ 1e-9 relative)
	for i, c := range loadMTGolden(t).Multitaper {
		name := fmt.Sprintf("%d_n%d_adaptive%v_%s", i, c.N, c.Adaptive, c.Normalization)
		t.Run(name, func(t *testing.T) {
			cfg := MultitaperConfig{
				SampleRate: c.FS, Len: c.N, FMin: c.FMin, FMax: mtInf(c.FMax),
				Adaptive: c.Adaptive, AllTapers: !c.LowBias, KeepDC: !c.RemoveDC,
			}
			if c.Bandwidth != nil {
				cfg.Bandwidth = *c.Bandwidth
			}
			if c.Normalization == "full" {
				cfg.Normalization = MultitaperNormFull
			}
			p, err := NewMultitaper(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ratios := p.Ratios(nil)
			if len(ratios) != len(c.Ratios) {
				t.Fatalf("%d tapers, MNE %d", len(ratios), len(c.Ratios))
			}
			for k := range ratios {
				if math.Abs(ratios[k]-c.Ratios[k]) > 1e-10 {
					t.Errorf("ratio %d: %g, MNE %g", k, ratios[k], c.Ratios[k])
				}
			}
			freqs := p.Freqs(nil)
			if len(freqs) != len(c.Freqs) {
				t.Fatalf("%d bins, MNE %d", len(freqs), len(c.Freqs))
			}
			for k := range freqs {
				if freqs[k] != c.Freqs[k] {
					t.Errorf("freq %d: %v, MNE %v", k, freqs[k], c.Freqs[k])
				}
			}
			dst := make([]float64, p.Len())
			for ch, x := range c.X {
				got := p.PSD(dst, x)
				var worst float64
				for k := range got {
					worst = math.Max(worst, math.Abs(got[k]-c.PSD[ch][k])/math.Abs(c.PSD[ch][k]))
				}
				if worst > tol {
					t.Errorf("channel %d: max relative difference %g", ch, worst)
				}
				t.Logf("channel %d: %d tapers, %d iterations, max relative difference %.2g", ch, p.NumTapers(), p.Iterations(), worst)
			}
		})
	}
}

func TestMultitaperConfig(t *testing.T) {
	p, err := NewMultitaper(MultitaperConfig{SampleRate: 200, Len: 400, Bandwidth: 1, Adaptive: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.NumTapers() != 1 || p.Config().Adaptive {
		t.Errorf("1 taper: NumTapers %d, Adaptive %v; want 1, false", p.NumTapers(), p.Config().Adaptive)
	}
	p, _ = NewMultitaper(MultitaperConfig{SampleRate: 256, Len: 512})
	if p.Config().Bandwidth != 4 || p.HalfBandwidth() != 4 || p.NumTapers() != 7 || p.Config().MaxIter != 150 {
		t.Errorf("defaults: %+v NW %v tapers %d", p.Config(), p.HalfBandwidth(), p.NumTapers())
	}
	if n := len(p.Tapers(nil)); n != 7*512 {
		t.Errorf("Tapers: %d values", n)
	}
	for _, cfg := range []MultitaperConfig{
		{SampleRate: 0, Len: 100},
		{SampleRate: 100, Len: 1},
		{SampleRate: 100, Len: 100, Bandwidth: 0.5},   // NW 0.25 < 0.5
		{SampleRate: 100, Len: 100, Bandwidth: 100},   // NW 50 ≥ Len/2
		{SampleRate: 100, Len: 100, FMin: 60},         // no bin
		{SampleRate: 100, Len: 100, Bandwidth: -1},    // negative
		{SampleRate: 100, Len: 100, MaxIter: -3},      // bad iterations
		{SampleRate: 100, Len: 100, Normalization: 7}, // unknown
	} {
		if _, err := NewMultitaper(cfg); err == nil {
			t.Errorf("NewMultitaper(%+v) accepted", cfg)
		}
	}
}

func TestMultitaperNoAllocs(t *testing.T) {
	for _, adaptive := range []bool{false, true} {
		p, err := NewMultitaper(MultitaperConfig{SampleRate: 256, Len: 512, Adaptive: adaptive, FMax: 100})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, 512)
		for i := range x {
			x[i] = rand.NormFloat64()
		}
		dst := make([]float64, p.Len())
		if a := testing.AllocsPerRun(20, func() { p.PSD(dst, x) }); a != 0 {
			t.Errorf("adaptive %v: %v allocs per PSD", adaptive, a)
		}
	}
}

// TestMultitaperWhiteNoise checks the units: with normalization 'full' the
// PSD of unit-variance white noise is 2/fs V²/Hz, as Welch's density.
func TestMultitaperWhiteNoise(t *testing.T) {
	const fs, n = 250.0, 10000
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	p, err := NewMultitaper(MultitaperConfig{SampleRate: fs, Len: n, Normalization: MultitaperNormFull, FMin: 1, FMax: 100})
	if err != nil {
		t.Fatal(err)
	}
	psd := p.PSD(nil, x)
	var mean float64
	for _, v := range psd {
		mean += v
	}
	mean /= float64(len(psd))
	if want := 2 / fs; math.Abs(mean-want) > 0.05*want {
		t.Errorf("mean white-noise PSD %g, want %g", mean, want)
	}
}

func BenchmarkMultitaper(b *testing.B) {
	// 64 channels × 2 s at 256 Hz, MNE defaults (NW 4, 7 tapers).
	const ch, fs, n = 64, 256.0, 512
	x := make([][]float64, ch)
	for c := range x {
		x[c] = make([]float64, n)
		for i := range x[c] {
			x[c][i] = rand.NormFloat64()
		}
	}
	for _, adaptive := range []bool{false, true} {
		b.Run(fmt.Sprintf("64ch_2s_256Hz_adaptive=%v", adaptive), func(b *testing.B) {
			p, err := NewMultitaper(MultitaperConfig{SampleRate: fs, Len: n, Adaptive: adaptive})
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]float64, p.Len())
			b.ReportAllocs()
			for b.Loop() {
				for c := range x {
					p.PSD(dst, x[c])
				}
			}
			b.ReportMetric(float64(ch*n)*float64(b.N)/b.Elapsed().Seconds(), "channel-samples/s")
		})
	}
}

func ExampleMultitaper() {
	const fs = 256.0
	x := make([]float64, 512) // 2 s
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 10 * float64(i) / fs)
	}
	p, _ := NewMultitaper(MultitaperConfig{SampleRate: fs, Len: len(x), Normalization: MultitaperNormFull})
	psd := p.PSD(nil, x)
	freqs := p.Freqs(nil)
	fmt.Printf("%d tapers, peak at %.0f Hz\n", p.NumTapers(), PeakFrequency(psd, freqs, 1, 40))
	// Output: 7 tapers, peak at 10 Hz
}
