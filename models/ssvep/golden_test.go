package ssvep_test

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// golden is testdata/golden.json, written by testdata/make_golden.py with
// the pinned numpy/scipy.
type golden struct {
	Reference []struct {
		Freq, FS           float64
		Harmonics, Samples int
		Y                  [][]float64
	}
	CCA []struct {
		Name string
		X, Y [][]float64
		R    []float64
	}
	Cheb1ord []struct {
		FS    float64
		Band  [4]float64 // pass low, pass high, stop low, stop high
		Order int
		SOS   [][6]float64
	}
	FBCCA struct {
		FS        float64
		Freqs     []float64
		Harmonics int
		SubBands  int `json:"sub_bands"`
		X         [][]float64
		Rho       [][]float64
		Scores    []float64
	}
	TRCA struct {
		FS             float64
		Freqs          []float64
		SubBands       int `json:"sub_bands"`
		Trials         [][][]float64
		Labels         []int
		Tests          [][][]float64
		Filters        [][][]float64
		Templates      [][][][]float64
		Scores         [][]float64
		EnsembleScores [][]float64 `json:"ensemble_scores"`
	}
}

var loadGolden = sync.OnceValues(func() (*golden, error) {
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		return nil, err
	}
	var g golden
	return &g, json.Unmarshal(b, &g)
})

func goldenData(t *testing.T) *golden {
	t.Helper()
	g, err := loadGolden()
	if err != nil {
		t.Fatalf("testdata/golden.json (regenerate with testdata/make_golden.py): %v", err)
	}
	return g
}

func TestReferenceGolden(t *testing.T) {
	const tol = 1e-12
	for _, c := range goldenData(t).Reference {
		got := ssvep.Reference(nil, c.Freq, c.FS, c.Harmonics, c.Samples)
		for r := range got {
			for i := range got[r] {
				if d := math.Abs(got[r][i] - c.Y[r][i]); d > tol {
					t.Fatalf("%v Hz at %v Hz: row %d sample %d: got %v, numpy %v", c.Freq, c.FS, r, i, got[r][i], c.Y[r][i])
				}
			}
		}
	}
}

// TestCCAGolden compares every canonical correlation with numpy's QR + SVD
// on the same inputs (cross-checked in the script against
// scipy.linalg.subspace_angles and the covariance definition).
func TestCCAGolden(t *testing.T) {
	const tol = 1e-9
	for _, c := range goldenData(t).CCA {
		t.Run(c.Name, func(t *testing.T) {
			got, err := ssvep.CanonicalCorrelations(nil, c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.R) {
				t.Fatalf("%d correlations, numpy %d", len(got), len(c.R))
			}
			for i := range got {
				if d := math.Abs(got[i] - c.R[i]); d > tol {
					t.Errorf("r[%d] = %.17g, numpy %.17g (|Δ| = %.3g)", i, got[i], c.R[i], d)
				}
			}
			// The plan's Max and a reused plan agree with the one-shot form.
			p := ssvep.NewCanonicalCorrelation(len(c.X[0]))
			for range 2 {
				m, err := p.Max(c.X, c.Y)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(m-c.R[0]) > tol {
					t.Errorf("Max = %v, numpy %v", m, c.R[0])
				}
			}
			// Swapping x and y gives the same correlations.
			sw, err := p.Correlations(nil, c.Y, c.X)
			if err != nil {
				t.Fatal(err)
			}
			for i := range sw {
				if math.Abs(sw[i]-c.R[i]) > tol {
					t.Errorf("swapped r[%d] = %v, numpy %v", i, sw[i], c.R[i])
				}
			}
		})
	}
}

func TestCheb1OrderGolden(t *testing.T) {
	const tol = 1e-10
	for _, c := range goldenData(t).Cheb1ord {
		b := ssvep.SubBand{PassLow: c.Band[0], PassHigh: c.Band[1], StopLow: c.Band[2], StopHigh: c.Band[3]}
		order, err := ssvep.Cheb1Order(b, c.FS)
		if err != nil {
			t.Fatal(err)
		}
		if order != c.Order {
			t.Errorf("%v Hz %+v: order %d, scipy %d", c.FS, b, order, c.Order)
			continue
		}
		fb, err := ssvep.NewFilterBank(ssvep.FilterBankConfig{Bands: []ssvep.SubBand{b}}, c.FS, 1)
		if err != nil {
			t.Fatal(err)
		}
		sos := fb.SOS(0)
		if len(sos) != len(c.SOS) {
			t.Fatalf("%v Hz %+v: %d sections, scipy %d", c.FS, b, len(sos), len(c.SOS))
		}
		for s := range sos {
			for j := range sos[s] {
				if d := math.Abs(sos[s][j] - c.SOS[s][j]); d > tol*math.Max(1, math.Abs(c.SOS[s][j])) {
					t.Errorf("%v Hz %+v: sos[%d][%d] = %v, scipy %v", c.FS, b, s, j, sos[s][j], c.SOS[s][j])
				}
			}
		}
	}
	// ChenSubBands produces the script's edges.
	seen := map[float64]bool{}
	for _, c := range goldenData(t).Cheb1ord {
		if seen[c.FS] {
			continue
		}
		seen[c.FS] = true
		bands, err := ssvep.ChenSubBands(1, c.FS)
		if err != nil {
			t.Fatal(err)
		}
		want := ssvep.SubBand{PassLow: c.Band[0], PassHigh: c.Band[1], StopLow: c.Band[2], StopHigh: c.Band[3]}
		if bands[0] != want {
			t.Errorf("ChenSubBands(1, %v) = %+v, script %+v", c.FS, bands[0], want)
		}
	}
}

func TestFBCCAGolden(t *testing.T) {
	const tol = 1e-9
	g := goldenData(t).FBCCA
	d, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{
		CCAConfig:  ssvep.CCAConfig{Freqs: g.Freqs, SampleRate: g.FS, Samples: len(g.X[0]), Channels: len(g.X), Harmonics: g.Harmonics},
		FilterBank: ssvep.FilterBankConfig{SubBands: g.SubBands},
	})
	if err != nil {
		t.Fatal(err)
	}
	rho, err := d.Correlations(nil, g.X)
	if err != nil {
		t.Fatal(err)
	}
	for n := range g.Rho {
		for k := range g.Rho[n] {
			if got := rho[n*len(g.Freqs)+k]; math.Abs(got-g.Rho[n][k]) > tol {
				t.Errorf("ρ sub-band %d target %d = %.15g, scipy %.15g", n+1, k, got, g.Rho[n][k])
			}
		}
	}
	scores, err := d.Scores(nil, g.X)
	if err != nil {
		t.Fatal(err)
	}
	for k := range scores {
		if math.Abs(scores[k]-g.Scores[k]) > tol {
			t.Errorf("score %d = %.15g, scipy %.15g", k, scores[k], g.Scores[k])
		}
	}
}

func TestTRCAGolden(t *testing.T) {
	const tol = 1e-9
	g := goldenData(t).TRCA
	for _, ens := range []bool{false, true} {
		m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: g.FS, Freqs: g.Freqs, Ensemble: ens,
			FilterBank: ssvep.FilterBankConfig{SubBands: g.SubBands}}, g.Trials, g.Labels)
		if err != nil {
			t.Fatal(err)
		}
		for n := range g.Filters {
			for k := range g.Filters[n] {
				w, want := m.Filter(n, k), g.Filters[n][k]
				scale := 0.0
				for _, v := range want {
					scale = math.Max(scale, math.Abs(v))
				}
				for c := range w {
					if math.Abs(w[c]-want[c]) > tol*scale {
						t.Errorf("filter sub-band %d target %d channel %d = %.15g, scipy %.15g", n+1, k, c, w[c], want[c])
					}
				}
				tm := m.Template(n, k)
				for c := range tm {
					for i := range tm[c] {
						if math.Abs(tm[c][i]-g.Templates[n][k][c][i]) > tol {
							t.Fatalf("template sub-band %d target %d [%d][%d] = %v, numpy %v", n+1, k, c, i, tm[c][i], g.Templates[n][k][c][i])
						}
					}
				}
			}
		}
		want := g.Scores
		if ens {
			want = g.EnsembleScores
		}
		for i, x := range g.Tests {
			s, err := m.Scores(nil, x)
			if err != nil {
				t.Fatal(err)
			}
			for k := range s {
				if math.Abs(s[k]-want[i][k]) > tol {
					t.Errorf("ensemble=%v test %d score %d = %.15g, numpy %.15g", ens, i, k, s[k], want[i][k])
				}
			}
			if ssvep.Argmax(s) != i {
				t.Errorf("ensemble=%v: test window of target %d decided as %d (scores %v)", ens, i, ssvep.Argmax(s), s)
			}
		}
	}
}
