package dsp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/cmplx"
	"os"
	"sync"
	"testing"
)

// filterGolden is testdata/filter_golden.json, written by
// testdata/make_filter_golden.py.
type filterGolden struct {
	Design []struct {
		Family string
		Order  int
		RP     float64
		BType  string
		FS     float64
		Edges  []float64
		SOS    SOS
		// Symmetric marks band edges symmetric about fs/4, where scipy
		// orders equal-radius sections by rounding noise.
		Symmetric bool
	}
	Notch []struct {
		Freq, Q, FS float64
		SOS         SOS
	}
	Freqz []struct {
		SOS           SOS
		FS            float64
		Freqs, Re, Im []float64
	}
	SOSFilt struct {
		X     [][]float64
		Cases []struct {
			SOS      SOS
			ZI       [][2]float64
			Y        [][]float64
			YSteady  [][]float64    `json:"y_steady"`
			ZFSteady [][][2]float64 `json:"zf_steady"` // [channel][section]
		}
	}
	FiltFilt []struct {
		SOS    SOS
		X, Y   []float64
		PadLen int
	}
	Resample []struct {
		Up, Down int
		X, Y     []float64
		Taps     []float64
	}
	Reference []struct {
		X, Y         [][]float64
		Exclude      []bool
		KeepExcluded bool `json:"keep_excluded"`
		Source       string
	}
}

var (
	filterGoldenOnce sync.Once
	filterGoldenData filterGolden
	filterGoldenErr  error
)

func loadFilterGolden(t testing.TB) *filterGolden {
	t.Helper()
	filterGoldenOnce.Do(func() {
		b, err := os.ReadFile("testdata/filter_golden.json")
		if err != nil {
			filterGoldenErr = err
			return
		}
		filterGoldenErr = json.Unmarshal(b, &filterGoldenData)
	})
	if filterGoldenErr != nil {
		t.Fatal(filterGoldenErr)
	}
	return &filterGoldenData
}

// sosMaxDiff returns the largest coefficient difference of got against
// want, relative per section to the largest |b| for b0..b2 and to the
// largest |a| for a0..a2 (so a tiny gain in b is held to its own scale).
func sosMaxDiff(got, want SOS) float64 {
	var worst float64
	for s := range want {
		for _, r := range [][2]int{{0, 3}, {3, 6}} {
			var scale float64
			for i := r[0]; i < r[1]; i++ {
				scale = math.Max(scale, math.Abs(want[s][i]))
			}
			for i := r[0]; i < r[1]; i++ {
				worst = math.Max(worst, math.Abs(got[s][i]-want[s][i])/scale)
			}
		}
	}
	return worst
}

// sosSetDiff compares two cascades as multisets of sections, each with its
// numerator divided by b0 (the gain sits in whichever section is first),
// plus the overall gain Π b0; it returns the largest relative difference
// and 1 when a section has no counterpart.
func sosSetDiff(got, want SOS) float64 {
	norm := func(s [6]float64) [6]float64 {
		return [6]float64{1, s[1] / s[0], s[2] / s[0], s[3], s[4], s[5]}
	}
	used := make([]bool, len(want))
	worst := 0.0
	gg, gw := 1.0, 1.0
	for _, g := range got {
		gg *= g[0]
		best, bi := math.Inf(1), -1
		for j, w := range want {
			if used[j] {
				continue
			}
			if d := sosMaxDiff(SOS{norm(g)}, SOS{norm(w)}); d < best {
				best, bi = d, j
			}
		}
		if bi < 0 {
			return 1
		}
		used[bi] = true
		worst = math.Max(worst, best)
	}
	for _, w := range want {
		gw *= w[0]
	}
	return math.Max(worst, math.Abs(gg-gw)/math.Abs(gw))
}

// TestDesignScipy compares Butter and Cheby1 with scipy.signal.butter and
// cheby1(output='sos') for every band type at orders 1–8.
func TestDesignScipy(t *testing.T) {
	const tol = 1e-10 // per section, relative to its largest |b| and |a|
	g := loadFilterGolden(t)
	var worst float64
	for _, c := range g.Design {
		name := fmt.Sprintf("%s/%d/%s/%v@%v", c.Family, c.Order, c.BType, c.Edges, c.FS)
		kind, err := ParseFilterKind(c.BType)
		if err != nil {
			t.Fatal(err)
		}
		var sos SOS
		if c.Family == "butter" {
			sos, err = Butter(c.Order, c.Edges, kind, c.FS)
		} else {
			sos, err = Cheby1(c.Order, c.RP, c.Edges, kind, c.FS)
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(sos) != len(c.SOS) {
			t.Errorf("%s: %d sections, scipy %d", name, len(sos), len(c.SOS))
			continue
		}
		if c.Symmetric {
			if d := sosSetDiff(sos, c.SOS); d > tol {
				t.Errorf("%s: sections differ as a set by %.3g\n got   %v\n scipy %v", name, d, sos, c.SOS)
			}
			continue
		}
		d := sosMaxDiff(sos, c.SOS)
		worst = math.Max(worst, d)
		if d > tol {
			t.Errorf("%s: coefficients differ by %.3g (relative)\n got   %v\n scipy %v", name, d, sos, c.SOS)
		}
	}
	t.Logf("%d designs, worst relative difference %.3g", len(g.Design), worst)
}

func TestNotchScipy(t *testing.T) {
	const tol = 1e-10 // relative to the largest |coefficient|
	for _, c := range loadFilterGolden(t).Notch {
		sos, err := Notch(c.Freq, c.Q, c.FS)
		if err != nil {
			t.Fatal(err)
		}
		if d := sosMaxDiff(sos, c.SOS); d > tol {
			t.Errorf("notch %v Hz Q %v fs %v: %v, scipy %v", c.Freq, c.Q, c.FS, sos, c.SOS)
		}
		if h := cmplx.Abs(sos.Response(c.Freq, c.FS)); h > 1e-12 {
			t.Errorf("notch %v Hz: |H| = %g at the notch", c.Freq, h)
		}
	}
}

func TestResponseScipy(t *testing.T) {
	const tol = 1e-10 // absolute on H, whose peak is ≈ 1
	for _, c := range loadFilterGolden(t).Freqz {
		for i, f := range c.Freqs {
			h := c.SOS.Response(f, c.FS)
			if d := cmplx.Abs(h - complex(c.Re[i], c.Im[i])); d > tol {
				t.Errorf("H(%v Hz) = %v, scipy.signal.freqz_sos %v", f, h, complex(c.Re[i], c.Im[i]))
			}
		}
	}
}

func TestDesignErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
	}{
		{"order 0", func() error { _, err := Butter(0, []float64{10}, Lowpass, 100); return err }},
		{"edge at 0", func() error { _, err := Butter(2, []float64{0}, Lowpass, 100); return err }},
		{"edge at Nyquist", func() error { _, err := Butter(2, []float64{50}, Highpass, 100); return err }},
		{"edge above Nyquist", func() error { _, err := Butter(2, []float64{1, 60}, Bandpass, 100); return err }},
		{"negative edge", func() error { _, err := Butter(2, []float64{-1, 10}, Bandstop, 100); return err }},
		{"edges reversed", func() error { _, err := Butter(2, []float64{20, 10}, Bandpass, 100); return err }},
		{"one edge for band", func() error { _, err := Butter(2, []float64{10}, Bandpass, 100); return err }},
		{"two edges for low", func() error { _, err := Butter(2, []float64{10, 20}, Lowpass, 100); return err }},
		{"fs 0", func() error { _, err := Butter(2, []float64{10}, Lowpass, 0); return err }},
		{"fs NaN", func() error { _, err := Butter(2, []float64{10}, Lowpass, math.NaN()); return err }},
		{"edge NaN", func() error { _, err := Butter(2, []float64{math.NaN()}, Lowpass, 100); return err }},
		{"bad kind", func() error { _, err := Butter(2, []float64{10}, FilterKind(9), 100); return err }},
		{"cheby order 0", func() error { _, err := Cheby1(0, 1, []float64{10}, Lowpass, 100); return err }},
		{"cheby ripple 0", func() error { _, err := Cheby1(2, 0, []float64{10}, Lowpass, 100); return err }},
		{"notch at 0", func() error { _, err := Notch(0, 30, 250); return err }},
		{"notch at Nyquist", func() error { _, err := Notch(125, 30, 250); return err }},
		{"notch q 0", func() error { _, err := Notch(50, 0, 250); return err }},
		{"notch fs -1", func() error { _, err := Notch(50, 30, -1); return err }},
		{"parse", func() error { _, err := ParseFilterKind("comb"); return err }},
	} {
		if tc.err() == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	for _, s := range []string{"low", "HP", "band", "stop"} {
		if _, err := ParseFilterKind(s); err != nil {
			t.Errorf("ParseFilterKind(%q): %v", s, err)
		}
	}
	for _, bad := range []SOS{nil, {{1, 0, 0, 2, 0, 0}}, {{math.Inf(1), 0, 0, 1, 0, 0}}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%v) accepted", bad)
		}
	}
}

// TestDesignResponse checks the designs' defining gains independently of
// scipy: −3 dB at Butterworth edges, −rp dB at Chebyshev edges, unit gain in
// the pass band.
func TestDesignResponse(t *testing.T) {
	const tol = 1e-9 // on |H| and dB
	const fs = 500.0
	for order := 1; order <= 8; order++ {
		bp, _ := Butter(order, []float64{10, 40}, Bandpass, fs)
		lp, _ := Butter(order, []float64{30}, Lowpass, fs)
		hp, _ := Butter(order, []float64{30}, Highpass, fs)
		for _, f := range []struct {
			sos  SOS
			freq float64
			want float64
		}{{bp, 10, math.Sqrt(0.5)}, {bp, 40, math.Sqrt(0.5)}, {lp, 30, math.Sqrt(0.5)}, {lp, 0, 1}, {hp, 30, math.Sqrt(0.5)}, {hp, fs / 2, 1}} {
			if got := cmplx.Abs(f.sos.Response(f.freq, fs)); math.Abs(got-f.want) > tol {
				t.Errorf("butter order %d: |H(%v Hz)| = %v, want %v", order, f.freq, got, f.want)
			}
		}
		ch, _ := Cheby1(order, 1, []float64{30}, Lowpass, fs)
		if db := 20 * math.Log10(cmplx.Abs(ch.Response(30, fs))); math.Abs(db+1) > tol {
			t.Errorf("cheby1 order %d: %v dB at the edge, want −1", order, db)
		}
	}
}

func ExampleButter() {
	// 4th-order 1–40 Hz band-pass for EEG at 256 Hz, as
	// scipy.signal.butter(4, [1, 40], 'bandpass', fs=256, output='sos').
	sos, err := Butter(4, []float64{1, 40}, Bandpass, 256)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(sos), "sections")
	for _, f := range []float64{0.1, 10, 100} {
		fmt.Printf("%5.1f Hz: %6.1f dB\n", f, 20*math.Log10(cmplx.Abs(sos.Response(f, 256))))
	}
	// Output:
	// 4 sections
	//   0.1 Hz:  -80.8 dB
	//  10.0 Hz:   -0.0 dB
	// 100.0 Hz:  -58.2 dB
}

func ExampleNotch() {
	sos, _ := Notch(50, 30, 250)
	fmt.Printf("b = %.6f %.6f %.6f\na = %.6f %.6f %.6f\n", sos[0][0], sos[0][1], sos[0][2], sos[0][3], sos[0][4], sos[0][5])
	// Output:
	// b = 0.979483 -0.605354 0.979483
	// a = 1.000000 -0.605354 0.958966
}
