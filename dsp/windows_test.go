package dsp

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"
)

// mtGolden is testdata/mt_golden.json, written by
// testdata/make_mt_golden.py (scipy 1.16.3, MNE 1.10.2, numpy 2.3.5).
type mtGolden struct {
	Windows []struct {
		N        int
		Sym      bool
		Hamming  []float64
		Blackman []float64
	}
	DPSS []struct {
		M      int
		NW     float64
		K      int
		Sym    bool
		Tapers []float64
		Ratios []float64
	}
	Detrend []struct {
		Type string
		X, Y []float64
	}
	Multitaper []struct {
		FMin          float64
		FMax          *float64
		Bandwidth     *float64
		Adaptive      bool
		LowBias       bool `json:"low_bias"`
		Normalization string
		RemoveDC      bool `json:"remove_dc"`
		N             int
		FS            float64
		X             [][]float64
		Freqs         []float64
		PSD           [][]float64
		Ratios        []float64
	}
	STFT []struct {
		NPerSeg        int
		NOverlap       *int
		NFFT           *int
		Detrend        any
		ReturnOnesided bool `json:"return_onesided"`
		Boundary       *string
		Padded         bool
		Scaling        string
		N              int
		FS             float64
		Window         string
		WindowValues   []float64 `json:"window_values"`
		X              []float64
		Freqs, Times   []float64
		Frames         int
		Z              struct{ Re, Im []float64 }
	}
	Spectrogram []struct {
		NPerSeg      int
		NOverlap     int
		NFFT         *int
		Scaling      string
		Mode         string
		N            int
		FS           float64
		X            []float64
		Freqs, Times []float64
		S            []float64
	}
	Summaries []struct {
		Freqs, PSD []float64
		Edges      []struct {
			Fraction, FMin float64
			FMax           *float64
			Edge           float64
		}
		Entropies []struct {
			FMin      float64
			FMax      *float64
			Normalize bool
			Entropy   float64
		}
	}
}

var mtGoldenOnce = sync.OnceValues(func() (*mtGolden, error) {
	b, err := os.ReadFile("testdata/mt_golden.json")
	if err != nil {
		return nil, err
	}
	g := new(mtGolden)
	return g, json.Unmarshal(b, g)
})

func loadMTGolden(t testing.TB) *mtGolden {
	t.Helper()
	g, err := mtGoldenOnce()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func mtInf(p *float64) float64 {
	if p == nil {
		return math.Inf(1)
	}
	return *p
}

// TestWindowsScipy compares with scipy.signal.windows.hamming/blackman.
func TestWindowsScipy(t *testing.T) {
	const tol = 1e-10 // absolute, window coefficients (issue 4: coefficients ≤ 1e-10)
	for _, c := range loadMTGolden(t).Windows {
		for _, w := range []struct {
			name string
			fn   func([]float64, int, bool) []float64
			want []float64
		}{
			{"hamming", Hamming, c.Hamming},
			{"blackman", Blackman, c.Blackman},
		} {
			got := w.fn(nil, c.N, !c.Sym)
			if len(got) != len(w.want) {
				t.Fatalf("%s(%d, sym=%v): %d values, scipy %d", w.name, c.N, c.Sym, len(got), len(w.want))
			}
			for i := range got {
				if math.Abs(got[i]-w.want[i]) > tol {
					t.Errorf("%s(%d, sym=%v)[%d] = %.17g, scipy %.17g", w.name, c.N, c.Sym, i, got[i], w.want[i])
				}
			}
		}
	}
}

// TestDPSSScipy compares with scipy.signal.windows.dpss(M, NW, Kmax, sym,
// return_ratios=True).
func TestDPSSScipy(t *testing.T) {
	const tol = 1e-10 // absolute, unit-norm taper coefficients and ratios
	for _, c := range loadMTGolden(t).DPSS {
		t.Run(fmt.Sprintf("M%d_NW%g_K%d_sym%v", c.M, c.NW, c.K, c.Sym), func(t *testing.T) {
			v, r := DPSS(nil, nil, c.M, c.NW, c.K, !c.Sym)
			var worst float64
			for i := range v {
				worst = math.Max(worst, math.Abs(v[i]-c.Tapers[i]))
			}
			if worst > tol {
				t.Errorf("max taper difference %g", worst)
			}
			for i := range r {
				if math.Abs(r[i]-c.Ratios[i]) > tol {
					t.Errorf("ratio %d: %.15g, scipy %.15g", i, r[i], c.Ratios[i])
				}
			}
			t.Logf("max taper difference %.2g", worst)
		})
	}
}

func TestDPSSProperties(t *testing.T) {
	const tol = 1e-10
	// Orthonormality holds for the symmetric form; ratios decrease.
	n, k := 1000, 8
	v, r := DPSS(nil, nil, n, 4, k, false)
	for i := range k {
		for j := range k {
			var dot float64
			for s := range n {
				dot += v[i*n+s] * v[j*n+s]
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(dot-want) > tol {
				t.Errorf("<v%d, v%d> = %g", i, j, dot)
			}
		}
		if i > 0 && r[i] > r[i-1] {
			t.Errorf("ratio %d = %g above ratio %d = %g", i, r[i], i-1, r[i-1])
		}
	}
	if v, r := DPSS(nil, nil, 1, 0.25, 1, true); v[0] != 1 || r[0] != 1 {
		t.Errorf("DPSS length 1: %v %v", v, r)
	}
	wantPanic(t, "NW = n/2", "dsp: DPSS: half-bandwidth NW = 5 outside (0, 5)", func() { DPSS(nil, nil, 10, 5, 2, false) })
	wantPanic(t, "NW = 0", "dsp: DPSS: half-bandwidth NW = 0 outside (0, 5)", func() { DPSS(nil, nil, 10, 0, 2, false) })
	wantPanic(t, "k > n", "dsp: DPSS: taper count 11 outside [1, 10]", func() { DPSS(nil, nil, 10, 2, 11, false) })
	wantPanic(t, "dst", "dsp: DPSS: len(dst) = 5, want 20", func() { DPSS(make([]float64, 5), nil, 10, 2, 2, false) })
}

// TestDetrendScipy compares with scipy.signal.detrend.
func TestDetrendScipy(t *testing.T) {
	const tol = 1e-9 // relative to the signal's largest magnitude
	for _, c := range loadMTGolden(t).Detrend {
		kind := DetrendConstant
		if c.Type == "linear" {
			kind = DetrendLinear
		}
		var scale float64
		for _, v := range c.X {
			scale = math.Max(scale, math.Abs(v))
		}
		got := DetrendSignal(nil, c.X, kind)
		inPlace := append([]float64(nil), c.X...)
		DetrendSignal(inPlace, inPlace, kind)
		for i := range got {
			if math.Abs(got[i]-c.Y[i]) > tol*scale || inPlace[i] != got[i] {
				t.Errorf("%s n=%d [%d]: %g (in place %g), scipy %g", c.Type, len(c.X), i, got[i], inPlace[i], c.Y[i])
			}
		}
	}
}

func BenchmarkDPSS(b *testing.B) {
	for _, n := range []int{512, 2560} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DPSS(nil, nil, n, 4, 8, true)
			}
		})
	}
}

func ExampleDPSS() {
	// The tapers MNE's psd_array_multitaper uses for 2 s at 256 Hz.
	_, ratios := DPSS(nil, nil, 512, 4, 8, true)
	for _, r := range ratios {
		fmt.Printf("%.4f ", r)
	}
	fmt.Println()
	// Output: 1.0000 1.0000 1.0000 1.0000 0.9994 0.9925 0.9367 0.6988
}

func ExampleHamming() {
	fmt.Printf("%.2f\n", Hamming(nil, 5, false))
	// Output: [0.08 0.54 1.00 0.54 0.08]
}
