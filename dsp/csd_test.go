package dsp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
)

// csdGolden mirrors testdata/csd_golden.json (make_csd_golden.py).
type csdGolden struct {
	FS  float64     `json:"fs"`
	X   [][]float64 `json:"x"`
	CSD []struct {
		N             int       `json:"n"`
		NPerSeg       int       `json:"nperseg"`
		NOverlap      *int      `json:"noverlap"`
		NFFT          *int      `json:"nfft"`
		Detrend       any       `json:"detrend"`
		Scaling       string    `json:"scaling"`
		Average       string    `json:"average"`
		WindowWeights []float64 `json:"window_weights"`
		Freqs         []float64 `json:"freqs"`
		CSDRe         []float64 `json:"csd_re"` // [bin][packed pair]
		CSDIm         []float64 `json:"csd_im"`
		Welch         [][]float64
		Coherence     [][]float64 // [pair i<j][bin], mean cases only
	} `json:"csd"`
	MNE []struct {
		NTimes       int                        `json:"n_times"`
		Step         int                        `json:"step"`
		FMin         float64                    `json:"fmin"`
		FMax         float64                    `json:"fmax"`
		NEpochs      int                        `json:"n_epochs"`
		TrilSeeds    []int                      `json:"tril_seeds"`
		TrilTargets  []int                      `json:"tril_targets"`
		PairsSeeds   []int                      `json:"pairs_seeds"`
		PairsTargets []int                      `json:"pairs_targets"`
		BandFMin     []float64                  `json:"band_fmin"`
		BandFMax     []float64                  `json:"band_fmax"`
		Freqs        []float64                  `json:"freqs"`
		PerBin       map[string]json.RawMessage `json:"per_bin"`
		Bands        map[string]json.RawMessage `json:"bands"`
	} `json:"mne"`
	XCorr []struct {
		N      int       `json:"n"`
		MaxLag int       `json:"max_lag"`
		Demean bool      `json:"demean"`
		A      int       `json:"a"`
		B      int       `json:"b"`
		Lags   []int     `json:"lags"`
		R      []float64 `json:"r"`
	} `json:"xcorr"`
	Hilbert []struct {
		N        int       `json:"n"`
		NFFT     *int      `json:"nfft"`
		Re       []float64 `json:"re"`
		Im       []float64 `json:"im"`
		Envelope []float64 `json:"envelope"`
	} `json:"hilbert"`
}

var (
	csdGoldenOnce sync.Once
	csdGoldenData *csdGolden
	csdGoldenErr  error
)

func loadCSDGolden(t testing.TB) *csdGolden {
	t.Helper()
	csdGoldenOnce.Do(func() {
		b, err := os.ReadFile("testdata/csd_golden.json")
		if err != nil {
			csdGoldenErr = err
			return
		}
		var g csdGolden
		if err := json.Unmarshal(b, &g); err != nil {
			csdGoldenErr = err
			return
		}
		csdGoldenData = &g
	})
	if csdGoldenErr != nil {
		t.Fatal(csdGoldenErr)
	}
	return csdGoldenData
}

// csdAbsMax returns the largest |v| in want (complex pairs when im != nil).
func csdAbsMax(re, im []float64) float64 {
	var m float64
	for i, v := range re {
		if im != nil {
			v = math.Hypot(v, im[i])
		}
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// csdCheck compares got with want. With crossing set (values cross zero)
// the error is relative to the largest |want| of the array; otherwise to
// each element.
func csdCheck(t *testing.T, what string, got, want []float64, tol float64, crossing bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, reference %d", what, len(got), len(want))
	}
	ref := csdAbsMax(want, nil)
	bad := 0
	for i := range got {
		r := math.Abs(want[i])
		if crossing {
			r = ref
		}
		if !(math.Abs(got[i]-want[i]) <= tol*r) && !(got[i] == want[i]) {
			if bad < 5 {
				t.Errorf("%s[%d]: %.17g, reference %.17g (rel %.3g)", what, i, got[i], want[i], math.Abs(got[i]-want[i])/r)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

func csdWelchConfig(fs float64, nperseg int, noverlap, nfft *int, detrend any, scaling, average string, window []float64) WelchConfig {
	c := welchCase{FS: fs, NPerSeg: nperseg, NOverlap: noverlap, NFFT: nfft, Detrend: detrend, Scaling: scaling, Average: average}
	cfg := c.config()
	cfg.Window = window
	return cfg
}

// TestCSDScipy compares every channel pair with scipy.signal.csd, the
// diagonal with scipy.signal.welch and the magnitude-squared coherence with
// scipy.signal.coherence.
func TestCSDScipy(t *testing.T) {
	// 1e-9 relative: CSD real/imaginary parts cross zero, so their error is
	// taken relative to the largest |Pxy| of the case; the PSD diagonal and
	// the coherence are positive and checked element by element.
	const tol = 1e-9
	g := loadCSDGolden(t)
	for ci, c := range g.CSD {
		t.Run(fmt.Sprintf("%d_nperseg%d_%s_%s", ci, c.NPerSeg, c.Scaling, c.Average), func(t *testing.T) {
			x := make([][]float64, len(g.X))
			for i := range x {
				x[i] = g.X[i][:c.N]
			}
			cfg := CSDConfig{
				WelchConfig: csdWelchConfig(g.FS, c.NPerSeg, c.NOverlap, c.NFFT, c.Detrend, c.Scaling, c.Average, c.WindowWeights),
				Channels:    len(x),
				Names:       []string{"Fz", "Cz", "Pz", "Oz"},
			}
			plan, err := NewCSD(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := plan.Compute(nil, x)
			if m.Bins() != len(c.Freqs) {
				t.Fatalf("%d bins, scipy %d", m.Bins(), len(c.Freqs))
			}
			csdCheck(t, "freqs", m.Freqs, c.Freqs, 1e-12, false)
			// The golden file packs pairs in numpy.triu_indices order.
			var re, im []float64
			for f := range m.Bins() {
				for i := range len(x) {
					for j := i; j < len(x); j++ {
						v := m.At(f, i, j)
						re = append(re, real(v))
						im = append(im, imag(v))
					}
				}
			}
			ref := csdAbsMax(c.CSDRe, c.CSDIm)
			scaled := func(v []float64) []float64 {
				out := make([]float64, len(v))
				for i := range v {
					out[i] = v[i] / ref
				}
				return out
			}
			// Relative to the largest |Pxy|: compare v/ref with absolute tol.
			csdCheckAbs(t, "csd re", scaled(re), scaled(c.CSDRe), tol)
			csdCheckAbs(t, "csd im", scaled(im), scaled(c.CSDIm), tol)
			for i := range x {
				csdCheck(t, fmt.Sprintf("welch ch%d", i), m.PSD(nil, i), c.Welch[i], tol, false)
			}
			// At is Hermitian and its lower triangle is the conjugate.
			n := len(x)
			for f := range m.Bins() {
				for i := range n {
					for j := range n {
						if m.At(f, i, j) != cmplx.Conj(m.At(f, j, i)) {
							t.Fatalf("At(%d,%d,%d) not Hermitian", f, i, j)
						}
					}
				}
			}
			if m.Names[2] != "Pz" || m.Segments != plan.Segments(c.N) {
				t.Errorf("names %v, segments %d", m.Names, m.Segments)
			}
			if c.Coherence == nil {
				return
			}
			var pairs []ChannelPair
			for i := range n {
				for j := i + 1; j < n; j++ {
					pairs = append(pairs, ChannelPair{i, j})
				}
			}
			coh := m.Connectivity(nil, MSC, pairs)
			var want []float64
			for _, row := range c.Coherence {
				want = append(want, row...)
			}
			csdCheck(t, "coherence", coh, want, tol, false)
			// All pairs (nil): AllChannelPairs order, (s, t) with s > t.
			all := m.Connectivity(nil, MSC, nil)
			want = want[:0]
			for _, pr := range AllChannelPairs(n) {
				for q, qr := range pairs {
					if qr.Seed == pr.Target && qr.Target == pr.Seed {
						want = append(want, c.Coherence[q]...)
					}
				}
			}
			csdCheck(t, "coherence all pairs", all, want, tol, false)
		})
	}
}

// csdCheckAbs compares arrays already divided by their reference scale.
func csdCheckAbs(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	bad := 0
	for i := range got {
		if !(math.Abs(got[i]-want[i]) <= tol) {
			if bad < 5 {
				t.Errorf("%s[%d]: %.17g, reference %.17g (of max)", what, i, got[i], want[i])
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d values differ", what, bad, len(got))
	}
}

// TestCSDAccumulator builds the mean CSD from per-segment spectra,
// accumulated in two halves and merged, and compares with Compute.
func TestCSDAccumulator(t *testing.T) {
	const tol = 1e-12 // relative to the largest |S|: same sums, other order
	g := loadCSDGolden(t)
	for _, c := range g.CSD {
		if c.Average != "mean" {
			continue
		}
		x := make([][]float64, len(g.X))
		for i := range x {
			x[i] = g.X[i][:c.N]
		}
		plan, err := NewCSD(CSDConfig{
			WelchConfig: csdWelchConfig(g.FS, c.NPerSeg, c.NOverlap, c.NFFT, c.Detrend, c.Scaling, c.Average, c.WindowWeights),
			Channels:    len(x),
		})
		if err != nil {
			t.Fatal(err)
		}
		want := plan.Compute(nil, x)
		a, b := plan.NewAccumulator(), plan.NewAccumulator()
		sp := NewSegmentSpectra(plan.Channels(), plan.Len())
		nseg := plan.Segments(c.N)
		for s := range nseg {
			plan.Spectra(sp, x, s*plan.Step())
			if s%2 == 0 {
				a.Accumulate(sp)
			} else {
				b.Accumulate(sp)
			}
		}
		a.Merge(b)
		if a.Segments() != nseg {
			t.Fatalf("%d segments, want %d", a.Segments(), nseg)
		}
		got := a.Result(nil)
		var ref float64
		for _, v := range want.Data {
			ref = math.Max(ref, cmplx.Abs(v))
		}
		for i, v := range got.Data {
			if cmplx.Abs(v-want.Data[i]) > tol*ref {
				t.Fatalf("nperseg %d: packed %d: accumulated %v, Compute %v", c.NPerSeg, i, v, want.Data[i])
			}
		}
		a.Reset()
		if a.Segments() != 0 {
			t.Error("Reset kept segments")
		}
	}
}

// TestCSDKernels checks the batched kernels used from csdGemvChannels
// channels (the golden data has 4) — the AVX2 cross kernel where it runs,
// gonum's dgemv without it — against the scalar kernel of the accumulator
// and against the definition, across several batches.
func TestCSDKernels(t *testing.T) {
	paths := []bool{false}
	if useCross {
		paths = append(paths, true)
	}
	defer func(v bool) { useCross = v }(useCross)
	for _, cross := range paths {
		useCross = cross
		t.Run(fmt.Sprintf("cross=%v", cross), testCSDKernels)
	}
}

func testCSDKernels(t *testing.T) {
	const tol = 1e-12 // relative to the largest |S|; same sums, other order
	for _, ch := range []int{csdGemvChannels, 33} {
		plan, err := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 100, SegmentLen: 64, Scaling: ScalingSpectrum}, Channels: ch})
		if err != nil {
			t.Fatal(err)
		}
		if plan.batch < csdGemvSegments {
			t.Fatalf("batch of %d segments never reaches the gemv kernel", plan.batch)
		}
		for _, n := range []int{64, 96, 32 * (csdGemvSegments + 1), 64 + 32*(2*plan.batch+3)} {
			x := csdRandom(ch, n)
			got := plan.Compute(nil, x)
			acc := plan.NewAccumulator()
			for s := range plan.Segments(n) {
				acc.Accumulate(plan.Spectra(nil, x, s*plan.Step()))
			}
			want := acc.Result(nil)
			var ref float64
			for _, v := range want.Data {
				ref = math.Max(ref, cmplx.Abs(v))
			}
			for f := range got.Bins() {
				for i := range ch {
					if imag(got.At(f, i, i)) != 0 {
						t.Fatalf("diagonal (%d,%d) at bin %d not real: %v", i, i, f, got.At(f, i, i))
					}
					for j := range ch {
						if d := cmplx.Abs(got.At(f, i, j) - want.At(f, i, j)); d > tol*ref {
							t.Fatalf("%d ch, %d samples, bin %d (%d,%d): gemv %v, scalar %v", ch, n, f, i, j, got.At(f, i, j), want.At(f, i, j))
						}
					}
				}
			}
			// The definition, for one pair and bin.
			f, i, j := 5, 3, ch-1
			var def complex128
			for s := range plan.Segments(n) {
				sp := plan.Spectra(nil, x, s*plan.Step())
				def += cmplx.Conj(sp.At(f, i)) * sp.At(f, j)
			}
			def *= complex(2/float64(plan.Segments(n))/(32*32), 0) // (Σ Hann(64))² = 32²
			if cmplx.Abs(got.At(f, i, j)-def) > tol*ref {
				t.Errorf("%d ch: (%d,%d) at bin %d: %v, definition %v", ch, i, j, f, got.At(f, i, j), def)
			}
		}
	}
}

func TestCSDConfigErrors(t *testing.T) {
	for _, cfg := range []CSDConfig{
		{WelchConfig: WelchConfig{SampleRate: 100, SegmentLen: 8}},
		{WelchConfig: WelchConfig{SampleRate: 0, SegmentLen: 8}, Channels: 2},
		{WelchConfig: WelchConfig{SampleRate: 100, SegmentLen: 8}, Channels: 2, Names: []string{"a"}},
	} {
		if _, err := NewCSD(cfg); err == nil {
			t.Errorf("NewCSD(%+v) accepted", cfg)
		}
	}
}

// The CSD's panics (channel count, ragged or short input, dst shape, empty
// accumulator, segment range, pair range) are checked with their messages
// in TestContractPanics.

func TestCSDPackedIndex(t *testing.T) {
	p := 0
	for j := range 9 {
		for i := 0; i <= j; i++ {
			if got := CSDPackedIndex(i, j); got != p {
				t.Fatalf("(%d,%d): %d, want %d", i, j, got, p)
			}
			p++
		}
	}
}

// TestCSDOuterAdd checks the hot loop against the plain definition for odd
// and even channel counts.
func TestCSDOuterAdd(t *testing.T) {
	for n := 1; n <= 9; n++ {
		re, im := make([]float64, n), make([]float64, n)
		for i := range re {
			re[i], im[i] = rand.NormFloat64(), rand.NormFloat64()
		}
		acc := make([]complex128, n*(n+1)/2)
		csdOuterAdd(acc, re, im)
		csdOuterAdd(acc, re, im)
		for i := range n {
			for j := i; j < n; j++ {
				want := 2 * cmplx.Conj(complex(re[i], im[i])) * complex(re[j], im[j])
				if got := acc[CSDPackedIndex(i, j)]; cmplx.Abs(got-want) > 1e-14 {
					t.Fatalf("n %d (%d,%d): %v, want %v", n, i, j, got, want)
				}
			}
		}
	}
}

func csdRandom(ch, n int) [][]float64 {
	x := make([][]float64, ch)
	common := make([]float64, n)
	for i := range common {
		common[i] = rand.NormFloat64()
	}
	for c := range x {
		x[c] = make([]float64, n)
		for i := range x[c] {
			x[c][i] = common[i] + rand.NormFloat64()
		}
	}
	return x
}

func TestCSDNoAllocs(t *testing.T) {
	for _, avg := range []Average{AverageMean, AverageMedian} {
		plan, err := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 256, SegmentLen: 256, Average: avg}, Channels: 8})
		if err != nil {
			t.Fatal(err)
		}
		x := csdRandom(8, 512*4)
		dst := plan.NewMatrix()
		plan.Compute(dst, x)
		if a := testing.AllocsPerRun(10, func() { plan.Compute(dst, x) }); a != 0 {
			t.Errorf("average %d: %v allocs per Compute", avg, a)
		}
		acc := plan.NewAccumulator()
		sp := NewSegmentSpectra(8, plan.Len())
		if a := testing.AllocsPerRun(10, func() {
			plan.Spectra(sp, x, 128)
			acc.Accumulate(sp, sp)
			acc.Result(dst)
		}); a != 0 {
			t.Errorf("%v allocs per Spectra+Accumulate+Result", a)
		}
		coh := make([]float64, 8*7/2*plan.Len())
		if a := testing.AllocsPerRun(10, func() { dst.Connectivity(coh, MSC, nil) }); a != 0 {
			t.Errorf("%v allocs per Connectivity", a)
		}
	}
}

// BenchmarkCSDCoherence is all-pairs CSD + magnitude-squared coherence on
// 2 s windows at 256 Hz, nperseg 256, 50% overlap (3 segments), Hann.
func BenchmarkCSDCoherence(b *testing.B) {
	for _, ch := range []int{8, 32, 64} {
		b.Run(fmt.Sprintf("ch%d", ch), func(b *testing.B) {
			plan, _ := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 256, SegmentLen: 256}, Channels: ch})
			x := csdRandom(ch, 512)
			dst := plan.NewMatrix()
			coh := make([]float64, ch*(ch-1)/2*plan.Len())
			plan.Compute(dst, x) // size the plan's scratch
			b.ReportAllocs()
			for b.Loop() {
				plan.Compute(dst, x)
				dst.Connectivity(coh, MSC, nil)
			}
			b.ReportMetric(float64(ch*512)*float64(b.N)/b.Elapsed().Seconds(), "ch-samples/s")
		})
	}
}

// BenchmarkCSDCoherenceLong is the issue's comparison workload: 64 ch ×
// 256 Hz × 60 s in one Compute (479 segments).
func BenchmarkCSDCoherenceLong(b *testing.B) {
	const ch, n = 64, 256 * 60
	plan, _ := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 256, SegmentLen: 256}, Channels: ch})
	x := csdRandom(ch, n)
	dst := plan.NewMatrix()
	coh := make([]float64, ch*(ch-1)/2*plan.Len())
	plan.Compute(dst, x) // size the plan's scratch
	b.ReportAllocs()
	for b.Loop() {
		plan.Compute(dst, x)
		dst.Connectivity(coh, MSC, nil)
	}
	b.ReportMetric(float64(ch*n)*float64(b.N)/b.Elapsed().Seconds(), "ch-samples/s")
}

// BenchmarkCSDAccumulate is the streaming path: one segment's spectra
// added to a window's sums.
func BenchmarkCSDAccumulate(b *testing.B) {
	for _, ch := range []int{8, 32, 64} {
		b.Run(fmt.Sprintf("ch%d", ch), func(b *testing.B) {
			plan, _ := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 256, SegmentLen: 256}, Channels: ch})
			x := csdRandom(ch, 256)
			sp := plan.Spectra(nil, x, 0)
			acc := plan.NewAccumulator()
			b.ReportAllocs()
			for b.Loop() {
				acc.Accumulate(sp)
			}
		})
	}
}

func ExampleCSD() {
	const fs = 256.0
	x := make([][]float64, 2)
	for c := range x {
		x[c] = make([]float64, 1024)
	}
	for i := range x[0] {
		t := float64(i) / fs
		x[0][i] = math.Sin(2 * math.Pi * 10 * t)
		x[1][i] = math.Sin(2*math.Pi*10*t - math.Pi/2) // lags by a quarter cycle
	}
	plan, _ := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: fs, SegmentLen: 256}, Channels: 2, Names: []string{"C3", "C4"}})
	m := plan.Compute(nil, x)
	k := 10 // bin 10 is 10 Hz
	s := m.At(k, 0, 1)
	fmt.Printf("%s-%s at %.0f Hz: phase %.0f°\n", m.Names[0], m.Names[1], m.Freqs[k], cmplx.Phase(s)*180/math.Pi)
	// Output: C3-C4 at 10 Hz: phase -90°
}
