package linear

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LogisticConfig configures TrainLogistic. Zero fields take the defaults.
type LogisticConfig struct {
	// Lambda is the L2 penalty on the weights (the intercept is not
	// penalised), relative to the weighted mean log loss. Default: 0.01.
	Lambda float64
	// Balanced weights each class by n/(2·n_class), as scikit-learn's
	// class_weight="balanced", so a 0.5 threshold balances sensitivity and
	// specificity. Default: false.
	Balanced bool
	// MaxIter bounds the Newton iterations. Default: 100.
	MaxIter int
	// Tol stops when the largest Newton step is below it. Default: 1e-10.
	Tol float64
}

// Logistic is a trained binary logistic regression on the features as
// given: the probability of true for x is Sigmoid(Bias + Weights·x).
type Logistic struct {
	// Weights act on the features; Bias is the intercept.
	Weights []float64
	Bias    float64
	// Lambda is the L2 penalty it was trained with, default filled in.
	Lambda float64
}

// TrainLogistic fits a Logistic on the rows of X (dense, all of one
// length) with labels y. It minimises the (class-)weighted mean log loss
// + Lambda/2·‖w‖² by Newton's method (IRLS) with step halving, solving
// each step with a Cholesky factorisation: exact to the last digits on a
// few hundred features, where Train's L-BFGS stops at its tolerance.
// Unlike Train it does not standardise: the penalty treats all features
// alike, so give it standardised features. Errors report unusable data
// (no rows, one class only, non-finite values) and a failed solve.
func TrainLogistic(X [][]float64, y []bool, cfg LogisticConfig) (*Logistic, error) {
	if len(X) != len(y) {
		return nil, fmt.Errorf("linear: logistic: %d rows, %d labels", len(X), len(y))
	}
	if cfg.Lambda == 0 {
		cfg.Lambda = 0.01
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 100
	}
	if cfg.Tol == 0 {
		cfg.Tol = 1e-10
	}
	if !(cfg.Lambda >= 0) {
		return nil, fmt.Errorf("linear: logistic: lambda %v, want > 0 (0 takes the default)", cfg.Lambda)
	}
	n := len(X)
	if n == 0 {
		return nil, errors.New("linear: logistic: no rows")
	}
	d := len(X[0])
	labels := make([]int, n)
	npos := 0
	for i, row := range X {
		if len(row) != d {
			return nil, fmt.Errorf("linear: logistic: row %d has %d features, row 0 %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("linear: logistic: row %d feature %d is %v", i, j, v)
			}
		}
		if y[i] {
			labels[i] = 1
			npos++
		}
	}
	if npos == 0 || npos == n {
		return nil, errors.New("linear: logistic: labels hold one class only")
	}
	beta, err := newton(X, y, SampleWeights(labels, 2, cfg.Balanced), cfg)
	if err != nil {
		return nil, err
	}
	return &Logistic{Weights: beta[1:], Bias: beta[0], Lambda: cfg.Lambda}, nil
}

// newton returns the intercept and weights minimising Σ sw·logloss +
// Lambda/2·‖w‖², from zero.
func newton(X [][]float64, y []bool, sw []float64, cfg LogisticConfig) ([]float64, error) {
	// Design matrix with a leading intercept column.
	n, p := len(X), len(X[0])+1
	Z := mat.NewDense(n, p, nil)
	for i, row := range X {
		Z.Set(i, 0, 1)
		for j, v := range row {
			Z.Set(i, j+1, v)
		}
	}
	beta := make([]float64, p)
	eta := make([]float64, n)
	objective := func(b []float64) float64 {
		mat.NewVecDense(n, eta).MulVec(Z, mat.NewVecDense(p, b))
		var f float64
		for i, e := range eta {
			// log(1+exp(e)) − y·e, stably
			l := softplus(e)
			if y[i] {
				l -= e
			}
			f += sw[i] * l
		}
		for _, v := range b[1:] {
			f += cfg.Lambda / 2 * v * v
		}
		return f
	}
	grad := mat.NewVecDense(p, nil)
	hess := mat.NewSymDense(p, nil)
	r := make([]float64, n)
	wz := mat.NewDense(n, p, nil)
	var chol mat.Cholesky
	step := mat.NewVecDense(p, nil)
	trial := make([]float64, p)
	f := objective(beta)
	for iter := 0; ; iter++ {
		if iter == cfg.MaxIter {
			return nil, fmt.Errorf("linear: logistic: Newton did not converge in %d iterations", cfg.MaxIter)
		}
		// eta holds Z·beta from the last objective call.
		for i, e := range eta {
			pr := Sigmoid(e)
			t := 0.0
			if y[i] {
				t = 1
			}
			r[i] = sw[i] * (pr - t)
			h := sw[i] * pr * (1 - pr)
			for j := range p {
				wz.Set(i, j, h*Z.At(i, j))
			}
		}
		grad.MulVec(Z.T(), mat.NewVecDense(n, r))
		var hd mat.Dense
		hd.Mul(Z.T(), wz)
		for a := range p {
			for b := a; b < p; b++ {
				v := hd.At(a, b)
				if a == b {
					if a > 0 {
						v += cfg.Lambda
					} else {
						v += 1e-12
					}
				}
				hess.SetSym(a, b, v)
			}
			if a > 0 {
				grad.SetVec(a, grad.AtVec(a)+cfg.Lambda*beta[a])
			}
		}
		if !chol.Factorize(hess) {
			return nil, errors.New("linear: logistic: Hessian not positive definite")
		}
		if err := chol.SolveVecTo(step, grad); err != nil {
			return nil, fmt.Errorf("linear: logistic: %w", err)
		}
		var maxStep float64
		for t := 1.0; ; t /= 2 {
			for j := range p {
				trial[j] = beta[j] - t*step.AtVec(j)
			}
			ft := objective(trial)
			if ft <= f || t < 1e-10 {
				maxStep = t * mat.Norm(step, math.Inf(1))
				copy(beta, trial)
				f = ft
				break
			}
		}
		if maxStep < cfg.Tol {
			return beta, nil
		}
	}
}

// Logit returns Bias + Weights·x, the log-odds of true. It panics on a
// wrong length.
func (m *Logistic) Logit(x []float64) float64 {
	if len(x) != len(m.Weights) {
		panic(fmt.Sprintf("linear: logistic: %d features, model has %d", len(x), len(m.Weights)))
	}
	s := m.Bias
	for j, v := range x {
		s += m.Weights[j] * v
	}
	return s
}

// Probability returns the probability of true for x.
func (m *Logistic) Probability(x []float64) float64 { return Sigmoid(m.Logit(x)) }

// SampleWeights returns each item's weight in a loss, summing to 1:
// equal, or with balanced n/(classes·n_class) before normalising
// (scikit-learn's class_weight="balanced"). Labels lie in [0, classes).
func SampleWeights(y []int, classes int, balanced bool) []float64 {
	n := len(y)
	count := make([]int, classes)
	for _, l := range y {
		count[l]++
	}
	w := make([]float64, n)
	wsum := 0.0
	for i, l := range y {
		w[i] = 1
		if balanced {
			w[i] = float64(n) / (float64(classes) * float64(count[l]))
		}
		wsum += w[i]
	}
	for i := range w {
		w[i] /= wsum
	}
	return w
}

// Sigmoid returns 1/(1+exp(−e)), without overflow for large |e|.
func Sigmoid(e float64) float64 {
	if e >= 0 {
		return 1 / (1 + math.Exp(-e))
	}
	x := math.Exp(e)
	return x / (1 + x)
}

// softplus returns log(1+exp(e)), without overflow for large e.
func softplus(e float64) float64 {
	if e > 0 {
		return e + math.Log1p(math.Exp(-e))
	}
	return math.Log1p(math.Exp(e))
}
