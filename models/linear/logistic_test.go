package linear

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// binaryBlobs returns n standardised rows of dim features, true for about
// a third of them, whose classes differ in the first two features.
func binaryBlobs(n, dim int, seed uint64) ([][]float64, []bool) {
	X, y3 := blobs(n, dim, seed)
	y := make([]bool, n)
	for i, c := range y3 {
		y[i] = c == 1
	}
	// Standardise, dropping the constant feature 3 to 0.
	for j := range dim {
		var mean, sq float64
		for _, x := range X {
			mean += x[j] / float64(n)
		}
		for _, x := range X {
			sq += (x[j] - mean) * (x[j] - mean) / float64(n)
		}
		for _, x := range X {
			x[j] -= mean
			if sq > 1e-12 {
				x[j] /= math.Sqrt(sq)
			}
		}
	}
	return X, y
}

// logisticObjective is TrainLogistic's objective written out plainly:
// weighted mean log loss plus lambda/2·‖w‖², weights n/(2·n_class) when
// balanced.
func logisticObjective(X [][]float64, y []bool, balanced bool, lambda float64, w []float64, b float64) float64 {
	n := float64(len(X))
	npos := 0.0
	for _, l := range y {
		if l {
			npos++
		}
	}
	f := 0.0
	for i, x := range X {
		e := b
		for j, v := range x {
			e += w[j] * v
		}
		wt, l := 1.0, math.Log1p(math.Exp(e))
		if balanced {
			wt = n / (2 * (n - npos))
		}
		if y[i] {
			l -= e
			if balanced {
				wt = n / (2 * npos)
			}
		}
		f += wt * l / n
	}
	for _, v := range w {
		f += lambda / 2 * v * v
	}
	return f
}

// TestLogisticOptimal: at the trained parameters the gradient of the
// plainly written objective vanishes and no move of ±h lowers it, with
// and without class balancing.
func TestLogisticOptimal(t *testing.T) {
	X, y := binaryBlobs(120, 5, 4)
	for _, balanced := range []bool{false, true} {
		const lambda = 0.05
		m, err := TrainLogistic(X, y, LogisticConfig{Lambda: lambda, Balanced: balanced})
		if err != nil {
			t.Fatal(err)
		}
		if m.Lambda != lambda || len(m.Weights) != 5 || math.Abs(m.Weights[3]) > 1e-12 {
			t.Fatalf("balanced %v: model %+v; want 5 weights, none on the constant feature", balanced, m)
		}
		f0 := logisticObjective(X, y, balanced, lambda, m.Weights, m.Bias)
		const h = 1e-5
		for j := -1; j < 5; j++ {
			p := &m.Bias
			if j >= 0 {
				p = &m.Weights[j]
			}
			v := *p
			*p = v + h
			fp := logisticObjective(X, y, balanced, lambda, m.Weights, m.Bias)
			*p = v - h
			fm := logisticObjective(X, y, balanced, lambda, m.Weights, m.Bias)
			*p = v
			if g := (fp - fm) / (2 * h); math.Abs(g) > 1e-8 {
				t.Errorf("balanced %v, parameter %d: gradient %.3g at the optimum", balanced, j, g)
			}
			if fp < f0 || fm < f0 {
				t.Errorf("balanced %v, parameter %d: objective %v not minimal (%v, %v)", balanced, j, f0, fp, fm)
			}
		}
	}
}

// TestLogisticMatchesSoftmax: on standardised features a two-class Softmax
// with penalty λ is the logistic regression with penalty λ/2 (its optimum
// has W₁ = −W₀, so λ/2·(‖W₀‖² + ‖W₁‖²) = λ/4·‖W₁ − W₀‖²): the two
// trainers, Newton and L-BFGS, must give the same probabilities.
func TestLogisticMatchesSoftmax(t *testing.T) {
	X, y := binaryBlobs(150, 4, 5)
	labels := make([]int, len(y))
	sp := make([]Sparse, len(X))
	for i, x := range X {
		sp[i] = Dense(x)
		if y[i] {
			labels[i] = 1
		}
	}
	sm, err := Train(sp, labels, 2, 4, Config{Lambda: 0.1, Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	lr, err := TrainLogistic(X, y, LogisticConfig{Lambda: 0.05, Balanced: true})
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for _, x := range X {
		worst = max(worst, math.Abs(sm.Probabilities(nil, Dense(x))[1]-lr.Probability(x)))
	}
	if worst > 1e-5 {
		t.Errorf("probabilities differ by up to %.3g", worst)
	}
}

func TestLogisticErrors(t *testing.T) {
	ok := [][]float64{{1, 0}, {0, 1}}
	for _, c := range []struct {
		X    [][]float64
		y    []bool
		cfg  LogisticConfig
		want string
	}{
		{nil, nil, LogisticConfig{}, "no rows"},
		{ok, []bool{true}, LogisticConfig{}, "2 rows, 1 labels"},
		{ok, []bool{true, true}, LogisticConfig{}, "one class only"},
		{[][]float64{{1, 0}, {0}}, []bool{true, false}, LogisticConfig{}, "row 1 has 1 features"},
		{[][]float64{{1, 0}, {0, math.NaN()}}, []bool{true, false}, LogisticConfig{}, "row 1 feature 1 is NaN"},
		{ok, []bool{true, false}, LogisticConfig{Lambda: -1}, "lambda -1"},
		{ok, []bool{true, false}, LogisticConfig{MaxIter: 1}, "Newton did not converge in 1 iterations"},
	} {
		_, err := TrainLogistic(c.X, c.y, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v %+v: error %v, want %q", c.X, c.y, c.cfg, err, c.want)
		}
	}
}

func TestSampleWeights(t *testing.T) {
	y := []int{0, 0, 0, 1, 2, 2}
	eq := SampleWeights(y, 3, false)
	bal := SampleWeights(y, 4, true)
	var sumEq, sumBal float64
	perClass := make([]float64, 3)
	for i, l := range y {
		sumEq += eq[i]
		sumBal += bal[i]
		perClass[l] += bal[i]
		if eq[i] != 1.0/6 {
			t.Errorf("equal weight %d: %v", i, eq[i])
		}
	}
	if math.Abs(sumBal-1) > 1e-15 || math.Abs(sumEq-1) > 1e-15 {
		t.Errorf("weights sum to %v and %v", sumEq, sumBal)
	}
	for c, w := range perClass {
		if math.Abs(w-1.0/3) > 1e-15 {
			t.Errorf("balanced: class %d carries %v, want 1/3", c, w)
		}
	}
}

func TestSigmoid(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 1000 {
		e := 40 * rng.NormFloat64()
		if s := Sigmoid(e) + Sigmoid(-e); math.Abs(s-1) > 1e-15 {
			t.Fatalf("σ(%v) + σ(%v) = %v", e, -e, s)
		}
		if d := softplus(e) - softplus(-e); math.Abs(d-e) > 1e-12*math.Max(1, math.Abs(e)) {
			t.Fatalf("softplus(%v) − softplus(%v) = %v", e, -e, d)
		}
	}
	if Sigmoid(-800) != 0 || Sigmoid(800) != 1 || softplus(800) != 800 || softplus(-800) != 0 {
		t.Error("overflow at ±800")
	}
}
