// Package linear holds the linear classifiers: an L2-regularised
// multinomial (softmax) logistic regression on standardised feature
// vectors that may be sparse (bags of tokens) or dense (band powers),
// trained by L-BFGS (Train, Softmax); and the binary L2 logistic
// regression trained by Newton's method to the last digits (TrainLogistic,
// Logistic), which models/seizure's detector is.
package linear

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/optimize"
)

// Sparse is a feature vector holding only its non-zero values: feature
// Index[i] has value Value[i]; indices ascend and do not repeat.
type Sparse struct {
	Index []int32
	Value []float64
}

// Dense returns x as a Sparse vector with every index (zeros included).
func Dense(x []float64) Sparse {
	s := Sparse{Index: make([]int32, len(x)), Value: slices.Clone(x)}
	for i := range s.Index {
		s.Index[i] = int32(i)
	}
	return s
}

// Config configures Train. Zero fields take the defaults.
type Config struct {
	// Lambda is the L2 penalty on the weights of the standardised
	// features (intercepts are not penalised), relative to the mean log
	// loss. Default: 0.01.
	Lambda float64
	// Balanced weights each item by n/(classes·n_class), as
	// scikit-learn's class_weight="balanced".
	Balanced bool
	// MaxIter bounds the L-BFGS iterations. Default: 500.
	MaxIter int
	// Raw skips the standardisation: the penalty acts on the weights of
	// the features as given, as in scikit-learn's LogisticRegression
	// (whose objective, mean log loss + ‖W‖²/(2·C·n), is Lambda = 1/(C·n)
	// here). Default: false (standardise).
	Raw bool
}

// Softmax is a trained multinomial logistic regression. The probability
// of class k for features x is softmax_k(Bias + W·z), z_j = (x_j −
// Mean_j)/Std_j; the model stores the weights folded back onto x, so
// scoring a sparse x touches only its non-zero features.
type Softmax struct {
	// Classes and Dim are the number of classes and features.
	Classes, Dim int
	// Weights (Classes×Dim, row-major) act on the raw features.
	Weights []float64
	// Bias is the per-class intercept on the raw features.
	Bias []float64
}

// Train fits a Softmax on items X (features < dim) with labels y in [0,
// classes). Each feature is standardised by its training mean and
// standard deviation (a constant feature is left out; not with cfg.Raw),
// then the class-weighted mean
// log loss plus Lambda/2·‖W‖² is minimised by L-BFGS (gonum/optimize).
// Errors report unusable data.
func Train(X []Sparse, y []int, classes, dim int, cfg Config) (*Softmax, error) {
	if len(X) != len(y) {
		return nil, fmt.Errorf("linear: %d items, %d labels", len(X), len(y))
	}
	if len(X) == 0 {
		return nil, errors.New("linear: no training items")
	}
	if classes < 2 {
		return nil, fmt.Errorf("linear: %d classes, want at least 2", classes)
	}
	if cfg.Lambda == 0 {
		cfg.Lambda = 0.01
	}
	if !(cfg.Lambda > 0) {
		return nil, fmt.Errorf("linear: lambda %v, want > 0", cfg.Lambda)
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 500
	}
	for i, l := range y {
		if l < 0 || l >= classes {
			return nil, fmt.Errorf("linear: item %d: label %d outside [0, %d)", i, l, classes)
		}
	}
	w := SampleWeights(y, classes, cfg.Balanced)
	mean, inv, err := featureStats(X, dim)
	if err != nil {
		return nil, err
	}
	if cfg.Raw {
		clear(mean)
		for j := range inv {
			inv[j] = 1
		}
	}
	K := classes
	np := K*dim + K
	obj := &softmaxLoss{X: X, y: y, w: w, mean: mean, inv: inv, K: K, dim: dim, lambda: cfg.Lambda,
		scores: make([]float64, K), shift: make([]float64, K), gk: make([]float64, K), gsum: make([]float64, K)}
	// Func and Grad are called at the same points; cache the last one.
	var lastX, lastG []float64
	var lastF float64
	both := func(theta []float64) {
		if lastX != nil && slices.Equal(lastX, theta) {
			return
		}
		if lastX == nil {
			lastX, lastG = make([]float64, np), make([]float64, np)
		}
		copy(lastX, theta)
		lastF = obj.eval(lastG, theta)
	}
	p := optimize.Problem{
		Func: func(theta []float64) float64 { both(theta); return lastF },
		Grad: func(g, theta []float64) { both(theta); copy(g, lastG) },
	}
	res, err := optimize.Minimize(p, make([]float64, np), &optimize.Settings{
		GradientThreshold: 1e-7,
		MajorIterations:   cfg.MaxIter,
		Converger:         &optimize.FunctionConverge{Relative: 1e-10, Iterations: 20},
	}, &optimize.LBFGS{})
	if res == nil {
		return nil, fmt.Errorf("linear: optimisation failed: %w", err)
	}
	theta := res.X
	for _, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("linear: optimisation diverged (%v)", err)
		}
	}
	// Fold the standardisation into raw-feature weights.
	m := &Softmax{Classes: K, Dim: dim, Weights: make([]float64, K*dim), Bias: make([]float64, K)}
	for k := range K {
		m.Bias[k] = theta[K*dim+k]
		for j := range dim {
			wk := theta[k*dim+j] * inv[j]
			m.Weights[k*dim+j] = wk
			m.Bias[k] -= wk * mean[j]
		}
	}
	return m, nil
}

// softmaxLoss is Train's objective: the class-weighted mean log loss on
// standardised features plus lambda/2·‖W‖², with scratch space.
type softmaxLoss struct {
	X         []Sparse
	y         []int
	w         []float64 // item weights
	mean, inv []float64 // feature mean and 1/std
	K, dim    int
	lambda    float64
	// Scratch: class scores; shift_k = Σ_j W_kj·mean_j·inv_j; per-item
	// and summed intercept gradients.
	scores, shift, gk, gsum []float64
}

// eval returns the objective at theta (W row-major, then the intercepts)
// and, when grad is not nil, writes its gradient there.
func (o *softmaxLoss) eval(grad, theta []float64) float64 {
	X, y, w, mean, inv, K, dim := o.X, o.y, o.w, o.mean, o.inv, o.K, o.dim
	scores, shift, gk, gsum := o.scores, o.shift, o.gk, o.gsum
	W, b := theta[:K*dim], theta[K*dim:]
	for k := range K {
		s := 0.0
		row := W[k*dim : (k+1)*dim]
		for j, v := range row {
			s += v * mean[j] * inv[j]
		}
		shift[k] = s
	}
	var gW, gb []float64
	if grad != nil {
		clear(grad)
		gW, gb = grad[:K*dim], grad[K*dim:]
	}
	clear(gsum)
	loss := 0.0
	for i, x := range X {
		for k := range K {
			s := b[k] - shift[k]
			row := W[k*dim : (k+1)*dim]
			for q, j := range x.Index {
				s += row[j] * x.Value[q] * inv[j]
			}
			scores[k] = s
		}
		m := slices.Max(scores)
		z := 0.0
		for k := range K {
			z += math.Exp(scores[k] - m)
		}
		lz := m + math.Log(z)
		loss += w[i] * (lz - scores[y[i]])
		if grad == nil {
			continue
		}
		for k := range K {
			p := math.Exp(scores[k] - lz)
			g := p
			if k == y[i] {
				g--
			}
			g *= w[i]
			gk[k] = g
			gsum[k] += g
		}
		for k := range K {
			row := gW[k*dim : (k+1)*dim]
			for q, j := range x.Index {
				row[j] += gk[k] * x.Value[q] * inv[j]
			}
		}
	}
	pen := 0.0
	for _, v := range W {
		pen += v * v
	}
	loss += o.lambda / 2 * pen
	if grad != nil {
		for k := range K {
			gb[k] = gsum[k]
			row := gW[k*dim : (k+1)*dim]
			wrow := W[k*dim : (k+1)*dim]
			for j := range row {
				row[j] += -gsum[k]*mean[j]*inv[j] + o.lambda*wrow[j]
			}
		}
	}
	return loss
}

// featureStats checks the items and returns each feature's mean and
// 1/standard deviation (unweighted; 0 for a constant feature).
func featureStats(X []Sparse, dim int) (mean, inv []float64, err error) {
	n := len(X)
	mean = make([]float64, dim)
	sq := make([]float64, dim)
	for i, x := range X {
		if len(x.Index) != len(x.Value) {
			return nil, nil, fmt.Errorf("linear: item %d: %d indices, %d values", i, len(x.Index), len(x.Value))
		}
		for k, j := range x.Index {
			v := x.Value[k]
			if j < 0 || int(j) >= dim || (k > 0 && j <= x.Index[k-1]) {
				return nil, nil, fmt.Errorf("linear: item %d: index %d out of order or outside [0, %d)", i, j, dim)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("linear: item %d: feature %d is %v", i, j, v)
			}
			mean[j] += v
			sq[j] += v * v
		}
	}
	inv = make([]float64, dim)
	for j := range mean {
		mean[j] /= float64(n)
		v := sq[j]/float64(n) - mean[j]*mean[j]
		if v > 1e-12*(sq[j]/float64(n)) && v > 0 {
			inv[j] = 1 / math.Sqrt(v)
		}
	}
	return mean, inv, nil
}

// Scores fills dst (length Classes; nil allocates) with the class
// log-odds Bias + Weights·x.
func (m *Softmax) Scores(dst []float64, x Sparse) []float64 {
	if dst == nil {
		dst = make([]float64, m.Classes)
	}
	for k := range m.Classes {
		s := m.Bias[k]
		row := m.Weights[k*m.Dim : (k+1)*m.Dim]
		for q, j := range x.Index {
			if int(j) < m.Dim {
				s += row[j] * x.Value[q]
			}
		}
		dst[k] = s
	}
	return dst
}

// Probabilities fills dst (length Classes; nil allocates) with the class
// probabilities of x.
func (m *Softmax) Probabilities(dst []float64, x Sparse) []float64 {
	dst = m.Scores(dst, x)
	mx := slices.Max(dst)
	z := 0.0
	for k, s := range dst {
		dst[k] = math.Exp(s - mx)
		z += dst[k]
	}
	for k := range dst {
		dst[k] /= z
	}
	return dst
}

// Predict returns the most probable class of x (the lowest on ties).
func (m *Softmax) Predict(x Sparse) int {
	s := m.Scores(nil, x)
	best := 0
	for k, v := range s {
		if v > s[best] {
			best = k
		}
	}
	return best
}
