package riemann_test

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/neurostream/neurostream/models/riemann"
	"gonum.org/v1/gonum/mat"
)

// Tolerances against pyriemann 0.12 / scikit-learn 1.9.1
// (testdata/golden.json, written by testdata/make_golden.py):
const (
	// tol bounds max|got − want| / max|want| over a matrix or vector
	// (relative to its largest entry, so that near-zero off-diagonal
	// entries are judged on the matrix's scale), and |got − want|/|want|
	// for a scalar: the covariances, matrix functions, distances, the
	// Riemannian mean, MDM and the tangent space.
	tol = 1e-9
	// lrTol bounds the absolute difference of TS + LR probabilities from
	// a tightly converged scikit-learn fit (tol=1e-12): both optimisers
	// stop near, not at, the optimum.
	lrTol = 1e-6
	// lrDefaultTol bounds it from scikit-learn's default fit (tol=1e-4,
	// which stops earlier).
	lrDefaultTol = 1e-3
)

type golden struct {
	Covariances []struct {
		X             [][]float64
		SCM, LWF, OAS [][]float64
	}
	Extended struct {
		Freqs         []float64
		SampleRate    float64 `json:"sample_rate"`
		Order         int
		BandWidth     float64 `json:"band_width"`
		Trials        [][][]float64
		Labels        []int
		Signal0       [][]float64
		Signal0Causal [][]float64 `json:"signal0_causal"`
		OAS, SCM, LWF [][][]float64
	}
	Functions struct {
		A, B                        [][]float64
		Sqrtm, Invsqrtm, Logm, Expm [][]float64
		Distance                    float64
		LogMap                      [][]float64 `json:"log_map"`
		ExpMap                      [][]float64 `json:"exp_map"`
		Upper                       []float64
	}
	Mean struct {
		Mats     [][][]float64
		Mean     [][]float64
		Weights  []float64
		Weighted [][]float64
	}
	MDM struct {
		Train, Test []int
		Centroids   [][][]float64
		Distances   [][]float64
		Proba       [][]float64
		Predict     []int
	}
	TangentSpace struct {
		Reference   [][]float64
		Train, Test [][]float64
	} `json:"tangent_space"`
	TSLR map[string]struct {
		Labels       []int
		ProbaDefault [][]float64 `json:"proba_default"`
		ProbaTight   [][]float64 `json:"proba_tight"`
		Predict      []int
	} `json:"ts_lr"`
}

func loadGolden(t testing.TB) *golden {
	t.Helper()
	b, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func sym(rows [][]float64) *mat.SymDense {
	n := len(rows)
	s := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s.SetSym(i, j, rows[i][j])
		}
	}
	return s
}

func syms(m [][][]float64) []*mat.SymDense {
	out := make([]*mat.SymDense, len(m))
	for i, r := range m {
		out[i] = sym(r)
	}
	return out
}

// relErr returns max|got − want| / max|want|.
func relErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, s float64
	for i := range got {
		d = max(d, math.Abs(got[i]-want[i]))
		s = max(s, math.Abs(want[i]))
	}
	if s == 0 {
		return d
	}
	return d / s
}

func flat(m mat.Matrix) []float64 {
	r, c := m.Dims()
	out := make([]float64, 0, r*c)
	for i := range r {
		for j := range c {
			out = append(out, m.At(i, j))
		}
	}
	return out
}

func flatRows(rows [][]float64) []float64 { return slices.Concat(rows...) }

func checkMat(t *testing.T, what string, got mat.Matrix, want [][]float64) {
	t.Helper()
	if e := relErr(flat(got), flatRows(want)); !(e <= tol) {
		t.Errorf("%s: relative error %.3g > %g", what, e, tol)
	}
}

func TestGoldenCovariances(t *testing.T) {
	g := loadGolden(t)
	for i, c := range g.Covariances {
		for _, est := range []struct {
			e    riemann.Estimator
			want [][]float64
		}{{riemann.SCM, c.SCM}, {riemann.LedoitWolf, c.LWF}, {riemann.OAS, c.OAS}} {
			cv, err := riemann.NewCovariance(riemann.CovarianceConfig{Estimator: est.e, Channels: len(c.X), Samples: len(c.X[0])})
			if err != nil {
				t.Fatal(err)
			}
			got, err := cv.Estimate(nil, c.X)
			if err != nil {
				t.Fatal(err)
			}
			checkMat(t, string(est.e)+" case "+string(rune('0'+i)), got, est.want)
		}
	}
}

func TestGoldenExtended(t *testing.T) {
	g := loadGolden(t).Extended
	n := len(g.Trials[0][0])
	for _, causal := range []bool{false, true} {
		e, err := riemann.NewExtended(riemann.ExtendedConfig{Freqs: g.Freqs, SampleRate: g.SampleRate, Channels: len(g.Trials[0]), Causal: causal})
		if err != nil {
			t.Fatal(err)
		}
		sig, err := e.Signal(nil, g.Trials[0])
		if err != nil {
			t.Fatal(err)
		}
		want := g.Signal0
		if causal {
			want = g.Signal0Causal
		}
		if len(sig) != len(want) || len(sig[0]) != n {
			t.Fatalf("causal=%v: signal %d×%d, want %d×%d", causal, len(sig), len(sig[0]), len(want), n)
		}
		if e := relErr(flatRows(sig), flatRows(want)); !(e <= tol) {
			t.Errorf("causal=%v: extended signal: relative error %.3g > %g", causal, e, tol)
		}
	}
	e, err := riemann.NewExtended(riemann.ExtendedConfig{Freqs: g.Freqs, SampleRate: g.SampleRate, Channels: len(g.Trials[0])})
	if err != nil {
		t.Fatal(err)
	}
	for _, est := range []struct {
		e    riemann.Estimator
		want [][][]float64
	}{{riemann.SCM, g.SCM}, {riemann.LedoitWolf, g.LWF}, {riemann.OAS, g.OAS}} {
		for i, x := range g.Trials {
			got, err := e.Covariance(nil, x, est.e)
			if err != nil {
				t.Fatal(err)
			}
			checkMat(t, "extended "+string(est.e), got, est.want[i])
		}
	}
}

func TestGoldenFunctions(t *testing.T) {
	g := loadGolden(t).Functions
	a, b := sym(g.A), sym(g.B)
	for _, c := range []struct {
		name string
		f    func(*mat.SymDense, mat.Symmetric) (*mat.SymDense, error)
		want [][]float64
	}{{"sqrtm", riemann.Sqrtm, g.Sqrtm}, {"invsqrtm", riemann.InvSqrtm, g.Invsqrtm}, {"logm", riemann.Logm, g.Logm}} {
		got, err := c.f(nil, a)
		if err != nil {
			t.Fatal(err)
		}
		checkMat(t, c.name, got, c.want)
	}
	l, _ := riemann.Logm(nil, a)
	l.ScaleSym(0.5, l)
	e, err := riemann.Expm(nil, l)
	if err != nil {
		t.Fatal(err)
	}
	checkMat(t, "expm", e, g.Expm)
	d, err := riemann.Distance(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r := math.Abs(d-g.Distance) / g.Distance; !(r <= tol) {
		t.Errorf("distance %v, want %v (relative error %.3g)", d, g.Distance, r)
	}
	lm, err := riemann.LogMap(nil, a, b)
	if err != nil {
		t.Fatal(err)
	}
	checkMat(t, "log map", lm, g.LogMap)
	em, err := riemann.ExpMap(nil, lm, b)
	if err != nil {
		t.Fatal(err)
	}
	checkMat(t, "exp map", em, g.ExpMap)
	l, _ = riemann.Logm(nil, a)
	if e := relErr(riemann.Upper(nil, l), g.Upper); !(e <= tol) {
		t.Errorf("upper: relative error %.3g", e)
	}
}

func TestGoldenMean(t *testing.T) {
	g := loadGolden(t).Mean
	m, st, err := riemann.Mean(nil, syms(g.Mats), nil, riemann.MeanConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Converged {
		t.Errorf("mean did not converge: %+v", st)
	}
	checkMat(t, "mean", m, g.Mean)
	m, _, err = riemann.Mean(nil, syms(g.Mats), g.Weights, riemann.MeanConfig{})
	if err != nil {
		t.Fatal(err)
	}
	checkMat(t, "weighted mean", m, g.Weighted)
}

func TestGoldenMDM(t *testing.T) {
	all := loadGolden(t)
	g := all.MDM
	covs := syms(all.Extended.OAS)
	var train []*mat.SymDense
	var labels []int
	for _, i := range g.Train {
		train = append(train, covs[i])
		labels = append(labels, all.Extended.Labels[i])
	}
	m, err := riemann.TrainMDM(train, labels, riemann.MeanConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for k := range g.Centroids {
		checkMat(t, "centroid", m.Centroid(k), g.Centroids[k])
	}
	for j, i := range g.Test {
		d, err := m.Distances(nil, covs[i])
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(d, g.Distances[j]); !(e <= tol) {
			t.Errorf("test %d distances %v, want %v", j, d, g.Distances[j])
		}
		p, _ := m.Probabilities(nil, covs[i])
		if e := relErr(p, g.Proba[j]); !(e <= tol) {
			t.Errorf("test %d probabilities %v, want %v", j, p, g.Proba[j])
		}
		if l, _ := m.Predict(covs[i]); l != g.Predict[j] {
			t.Errorf("test %d: predicted %d, want %d", j, l, g.Predict[j])
		}
	}
}

func TestGoldenTangentSpace(t *testing.T) {
	all := loadGolden(t)
	g := all.TangentSpace
	covs := syms(all.Extended.OAS)
	var train []*mat.SymDense
	for _, i := range all.MDM.Train {
		train = append(train, covs[i])
	}
	ts, err := riemann.FitTangentSpace(train, riemann.MeanConfig{})
	if err != nil {
		t.Fatal(err)
	}
	checkMat(t, "reference", ts.Reference(), g.Reference)
	for j, i := range all.MDM.Train {
		v, err := ts.Transform(nil, covs[i])
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(v, g.Train[j]); !(e <= tol) {
			t.Errorf("train %d: tangent vector relative error %.3g", j, e)
		}
	}
	for j, i := range all.MDM.Test {
		v, _ := ts.Transform(nil, covs[i])
		if e := relErr(v, g.Test[j]); !(e <= tol) {
			t.Errorf("test %d: tangent vector relative error %.3g", j, e)
		}
	}
}

func TestGoldenTSLR(t *testing.T) {
	all := loadGolden(t)
	covs := syms(all.Extended.OAS)
	var train []*mat.SymDense
	for _, i := range all.MDM.Train {
		train = append(train, covs[i])
	}
	for name, g := range all.TSLR {
		m, err := riemann.TrainTSLR(train, g.Labels, riemann.TSLRConfig{})
		if err != nil {
			t.Fatal(err)
		}
		var worst, worstDefault float64
		for j, i := range all.MDM.Test {
			p, err := m.Probabilities(nil, covs[i])
			if err != nil {
				t.Fatal(err)
			}
			for k := range p {
				worst = max(worst, math.Abs(p[k]-g.ProbaTight[j][k]))
				worstDefault = max(worstDefault, math.Abs(p[k]-g.ProbaDefault[j][k]))
			}
			if l, _ := m.Predict(covs[i]); l != g.Predict[j] {
				t.Errorf("%s test %d: predicted %d, want %d", name, j, l, g.Predict[j])
			}
		}
		t.Logf("%s: probabilities within %.2g of scikit-learn (tol=1e-12), %.2g of its default fit", name, worst, worstDefault)
		if !(worst <= lrTol) || !(worstDefault <= lrDefaultTol) {
			t.Errorf("%s: probabilities differ by %.3g from the tight fit (want ≤ %g) and %.3g from the default (want ≤ %g)",
				name, worst, lrTol, worstDefault, lrDefaultTol)
		}
	}
}
