package linear

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTrainRaw checks that with Raw the fit is the optimum of the
// unstandardised objective (scikit-learn's): the gradient of the mean log
// loss + Lambda/2·‖W‖² with respect to the weights on the raw features
// vanishes. Features of very different scales make the standardised
// optimum a different point.
func TestTrainRaw(t *testing.T) {
	const tol = 1e-6
	rng := rand.New(rand.NewPCG(1, 2))
	n, dim, classes := 120, 4, 3
	scale := []float64{1, 10, 0.1, 3}
	X := make([]Sparse, n)
	y := make([]int, n)
	for i := range X {
		y[i] = i % classes
		x := make([]float64, dim)
		for j := range x {
			x[j] = scale[j] * (rng.NormFloat64() + 0.7*float64(y[i]*(j%2)))
		}
		X[i] = Dense(x)
	}
	lambda := 1.0 / float64(n)
	m, err := Train(X, y, classes, dim, Config{Lambda: lambda, Raw: true})
	if err != nil {
		t.Fatal(err)
	}
	grad := make([]float64, classes*dim)
	for i, x := range X {
		p := m.Probabilities(nil, x)
		for k := range classes {
			g := p[k]
			if k == y[i] {
				g--
			}
			for j, v := range x.Value {
				grad[k*dim+j] += g * v / float64(n)
			}
		}
	}
	worst := 0.0
	for q := range grad {
		worst = max(worst, math.Abs(grad[q]+lambda*m.Weights[q]))
	}
	if !(worst <= tol) {
		t.Errorf("gradient of the raw objective at the fit: %.3g, want ≤ %g", worst, tol)
	}
}
