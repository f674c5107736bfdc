package dsp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

type welchCase struct {
	N         int       `json:"n"`
	FS        float64   `json:"fs"`
	NPerSeg   int       `json:"nperseg"`
	NOverlap  *int      `json:"noverlap"`
	NFFT      *int      `json:"nfft"`
	Detrend   any       `json:"detrend"`
	Scaling   string    `json:"scaling"`
	Average   string    `json:"average"`
	X         []float64 `json:"x"`
	Freqs     []float64 `json:"freqs"`
	PSD       []float64 `json:"psd"`
	Bands     [][2]float64
	BandPower []float64 `json:"bandpower"`
}

func loadWelchGolden(t *testing.T) []welchCase {
	t.Helper()
	b, err := os.ReadFile("testdata/welch_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Cases []welchCase }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g.Cases
}

func (c welchCase) config() WelchConfig {
	cfg := WelchConfig{SampleRate: c.FS, SegmentLen: c.NPerSeg}
	if c.NOverlap != nil {
		cfg.Overlap = *c.NOverlap
		if cfg.Overlap == 0 {
			cfg.Overlap = -1
		}
	}
	if c.NFFT != nil {
		cfg.NFFT = *c.NFFT
	}
	switch c.Detrend {
	case "constant":
		cfg.Detrend = DetrendConstant
	case "linear":
		cfg.Detrend = DetrendLinear
	default:
		cfg.Detrend = DetrendNone
	}
	if c.Scaling == "spectrum" {
		cfg.Scaling = ScalingSpectrum
	}
	if c.Average == "median" {
		cfg.Average = AverageMedian
	}
	return cfg
}

// TestWelchScipy compares with scipy.signal.welch (testdata/make_golden.py).
func TestWelchScipy(t *testing.T) {
	const tol = 1e-9 // relative, against the largest bin
	for i, c := range loadWelchGolden(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			w, err := NewWelch(c.config())
			if err != nil {
				t.Fatal(err)
			}
			got := w.PSD(nil, c.X)
			freqs := w.Freqs(nil)
			if len(got) != len(c.PSD) {
				t.Fatalf("%d bins, scipy %d", len(got), len(c.PSD))
			}
			var peak float64
			for _, v := range c.PSD {
				peak = math.Max(peak, v)
			}
			for k := range got {
				if math.Abs(got[k]-c.PSD[k]) > tol*math.Max(math.Abs(c.PSD[k]), 1e-3*peak) {
					t.Errorf("bin %d (%g Hz): %g, scipy %g", k, freqs[k], got[k], c.PSD[k])
				}
				if math.Abs(freqs[k]-c.Freqs[k]) > 1e-12*c.FS {
					t.Errorf("freq %d: %g, scipy %g", k, freqs[k], c.Freqs[k])
				}
			}
			for b, band := range c.Bands {
				bp := BandPower(c.PSD, c.Freqs, band[0], band[1])
				if math.Abs(bp-c.BandPower[b]) > tol*math.Abs(c.BandPower[b]) {
					t.Errorf("band %v: %g, numpy.trapezoid %g", band, bp, c.BandPower[b])
				}
			}
		})
	}
}

func TestWelchConfigErrors(t *testing.T) {
	for _, cfg := range []WelchConfig{
		{SampleRate: 0, SegmentLen: 8},
		{SampleRate: 100, SegmentLen: 0},
		{SampleRate: 100, SegmentLen: 8, Overlap: 8},
		{SampleRate: 100, SegmentLen: 8, NFFT: 4},
		{SampleRate: 100, SegmentLen: 8, Window: make([]float64, 7)},
	} {
		if _, err := NewWelch(cfg); err == nil {
			t.Errorf("NewWelch(%+v) accepted", cfg)
		}
	}
}

func TestWelchNoAllocs(t *testing.T) {
	for _, avg := range []Average{AverageMean, AverageMedian} {
		w, err := NewWelch(WelchConfig{SampleRate: 256, SegmentLen: 256, Average: avg})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, 2048)
		for i := range x {
			x[i] = rand.NormFloat64()
		}
		dst := make([]float64, w.Len())
		w.PSD(dst, x)
		if a := testing.AllocsPerRun(20, func() { w.PSD(dst, x) }); a != 0 {
			t.Errorf("average %d: %v allocs per PSD", avg, a)
		}
	}
}

func TestPeakFrequency(t *testing.T) {
	freqs := []float64{0, 1, 2, 3, 4}
	psd := []float64{9, 1, 5, 2, 3}
	if f := PeakFrequency(psd, freqs, 1, 4); f != 2 {
		t.Errorf("peak %v, want 2", f)
	}
	if f := PeakFrequency(psd, freqs, 10, 20); !math.IsNaN(f) {
		t.Errorf("peak outside bins %v, want NaN", f)
	}
}

func BenchmarkWelch(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			w, _ := NewWelch(WelchConfig{SampleRate: 256, SegmentLen: 256})
			x := make([]float64, n)
			for i := range x {
				x[i] = rand.NormFloat64()
			}
			dst := make([]float64, w.Len())
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				w.PSD(dst, x)
			}
		})
	}
}

func ExampleWelch() {
	const fs = 256.0
	x := make([]float64, 1024)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 10 * float64(i) / fs)
	}
	w, _ := NewWelch(WelchConfig{SampleRate: fs, SegmentLen: 256})
	psd := w.PSD(nil, x)
	freqs := w.Freqs(nil)
	fmt.Printf("peak at %.0f Hz\n", PeakFrequency(psd, freqs, 1, 40))
	// Output: peak at 10 Hz
}
