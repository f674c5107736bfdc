package riemann_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/riemann"
	"gonum.org/v1/gonum/mat"
)

// randomSPD returns a random n×n SPD matrix (A·Aᵀ/n + 0.1·I).
func randomSPD(rng *rand.Rand, n int) *mat.SymDense {
	a := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	s := mat.NewSymDense(n, nil)
	s.SymOuterK(1/float64(n), a)
	for i := range n {
		s.SetSym(i, i, s.At(i, i)+0.1)
	}
	return s
}

// TestMeanOfTwo checks the mean against its closed form: the mean of A and
// B with equal weights is the geodesic midpoint A^{1/2}·(A^{−1/2}·B·
// A^{−1/2})^{1/2}·A^{1/2}, and the mean of one matrix is that matrix.
func TestMeanOfTwo(t *testing.T) {
	const tol = 1e-9
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 8} {
		a, b := randomSPD(rng, n), randomSPD(rng, n)
		sq, _ := riemann.Sqrtm(nil, a)
		isq, _ := riemann.InvSqrtm(nil, a)
		var w1, w2 mat.Dense
		w1.Mul(isq, b)
		w2.Mul(&w1, isq)
		m := mat.NewSymDense(n, nil)
		for i := range n {
			for j := i; j < n; j++ {
				m.SetSym(i, j, (w2.At(i, j)+w2.At(j, i))/2)
			}
		}
		r, _ := riemann.Sqrtm(nil, m)
		var p1, want mat.Dense
		p1.Mul(sq, r)
		want.Mul(&p1, sq)
		got, st, err := riemann.Mean(nil, []*mat.SymDense{a, b}, nil, riemann.MeanConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(flat(got), flat(&want)); !(e <= tol) || !st.Converged {
			t.Errorf("n=%d: mean differs from the geodesic midpoint by %.3g (stats %+v)", n, e, st)
		}
		one, _, err := riemann.Mean(nil, []*mat.SymDense{a}, nil, riemann.MeanConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(flat(one), flat(a)); !(e <= tol) {
			t.Errorf("n=%d: mean of one matrix differs by %.3g", n, e)
		}
		// The distance is symmetric and δ(A, B) = δ(A⁻¹, B⁻¹).
		d1, _ := riemann.Distance(a, b)
		d2, _ := riemann.Distance(b, a)
		var ai, bi mat.SymDense
		if err := ai.PowPSD(a, -1); err != nil {
			t.Fatal(err)
		}
		if err := bi.PowPSD(b, -1); err != nil {
			t.Fatal(err)
		}
		d3, _ := riemann.Distance(&ai, &bi)
		if math.Abs(d1-d2) > tol*d1 || math.Abs(d1-d3) > 1e-8*d1 {
			t.Errorf("n=%d: δ(A,B) %v, δ(B,A) %v, δ(A⁻¹,B⁻¹) %v", n, d1, d2, d3)
		}
	}
}

func TestUpperRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := randomSPD(rng, 5)
	v := riemann.Upper(nil, a)
	if len(v) != riemann.VectorLen(5) || v[1] != math.Sqrt2*a.At(0, 1) || v[5] != a.At(1, 1) {
		t.Fatalf("upper: %v", v)
	}
	b := riemann.Unupper(nil, v)
	if e := relErr(flat(b), flat(a)); e > 1e-15 {
		t.Errorf("unupper(upper(a)) differs by %.3g", e)
	}
}

func TestErrors(t *testing.T) {
	notPD := mat.NewSymDense(2, []float64{1, 2, 2, 1})
	if _, err := riemann.Logm(nil, notPD); !errors.Is(err, riemann.ErrNotPositiveDefinite) {
		t.Errorf("logm of an indefinite matrix: %v", err)
	}
	if _, err := riemann.Distance(mat.NewSymDense(2, []float64{1, 0, 0, 1}), notPD); !errors.Is(err, riemann.ErrNotPositiveDefinite) {
		t.Errorf("distance to an indefinite matrix: %v", err)
	}
	nan := mat.NewSymDense(2, []float64{1, math.NaN(), math.NaN(), 1})
	if _, err := riemann.Sqrtm(nil, nan); err == nil || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("sqrtm of NaN: %v", err)
	}
	if _, err := riemann.NewCovariance(riemann.CovarianceConfig{Estimator: "mcd", Channels: 2, Samples: 10}); err == nil {
		t.Error("unknown estimator accepted")
	}
	c, err := riemann.NewCovariance(riemann.CovarianceConfig{Estimator: riemann.OAS, Channels: 2, Samples: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Estimate(nil, [][]float64{{1, 2, 3}, {1, math.Inf(1), 3}}); err == nil || !strings.Contains(err.Error(), "channel 1 sample 1") {
		t.Errorf("covariance of Inf: %v", err)
	}
	if _, _, err := riemann.Mean(nil, nil, nil, riemann.MeanConfig{}); err == nil {
		t.Error("mean of no matrices")
	}
	id := mat.NewSymDense(2, []float64{1, 0, 0, 1})
	if _, err := riemann.TrainMDM([]*mat.SymDense{id, id}, []int{1, 1}, riemann.MeanConfig{}); err == nil {
		t.Error("mdm of one class")
	}
	if _, err := riemann.NewExtended(riemann.ExtendedConfig{Freqs: []float64{127.8}, SampleRate: 256, Channels: 1}); err == nil {
		t.Error("band above Nyquist accepted")
	}
	defer func() {
		if recover() == nil {
			t.Error("wrong dst size did not panic")
		}
	}()
	riemann.Sqrtm(mat.NewSymDense(3, nil), id)
}

func ExampleMean() {
	a := mat.NewSymDense(2, []float64{4, 0, 0, 1})
	b := mat.NewSymDense(2, []float64{1, 0, 0, 4})
	m, _, err := riemann.Mean(nil, []*mat.SymDense{a, b}, nil, riemann.MeanConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := riemann.Distance(a, b)
	fmt.Printf("mean %.4f\ndistance %.4f\n", mat.Formatted(m), d)
	// Output:
	// mean ⎡2.0000  0.0000⎤
	// ⎣0.0000  2.0000⎦
	// distance 1.9605
}
