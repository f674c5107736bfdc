package seizure

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// TrainConfig configures logistic-regression training.
type TrainConfig struct {
	// Lambda is the L2 penalty on the weights of the z-scored features
	// (the intercept is not penalised). Default: 0.01.
	Lambda float64
	// Balanced weights each class by n/(2·n_class), as scikit-learn's
	// class_weight="balanced", so a 0.5 threshold balances sensitivity and
	// specificity. Default: false.
	Balanced bool
	// MaxIter bounds the Newton iterations. Default: 100.
	MaxIter int
	// Tol stops when the largest Newton step is below it. Default: 1e-10.
	Tol float64
	// Boost, when set, trains gradient-boosted trees on the z-scored
	// features instead of the logistic regression (Lambda, MaxIter and
	// Tol are then unused; Balanced applies).
	Boost *BoostConfig
}

// Model is a trained detector: the feature spec, the z-score normalisation
// and an L2-regularised logistic regression on the normalised features.
type Model struct {
	// Features is the spec the model was trained on, defaults filled in.
	Features FeatureConfig
	// Names are the feature names, in order (Extractor.Names).
	Names []string
	// Mean and Std z-score each feature: z = (f − Mean)/Std. Std is 1
	// where the training feature was constant.
	Mean, Std []float64
	// Weights act on z; Bias is the intercept. The probability of a
	// seizure is 1/(1+exp(−(Bias + Weights·z))). Nil for a tree model.
	Weights []float64
	Bias    float64
	// Lambda is the L2 penalty used in training.
	Lambda float64
	// Trees, when not nil, make this a gradient-boosted tree model: the
	// log-odds are Bias + the sum of the trees' leaf values for z, and
	// Weights is nil.
	Trees []Tree
}

// Train fits a model on feature vectors X (rows from an Extractor built
// from spec) with labels y (true = seizure). It minimises the (class-)
// weighted mean log loss + Lambda/2·‖w‖² by Newton's method (IRLS) with
// step halving, solving each step with a Cholesky factorisation. Errors
// report unusable data (no rows, one class only, non-finite values).
func Train(spec FeatureConfig, X [][]float64, y []bool, cfg TrainConfig) (*Model, error) {
	ex, err := NewExtractor(spec)
	if err != nil {
		return nil, err
	}
	if len(X) != len(y) {
		panic(fmt.Sprintf("seizure: train: %d rows, %d labels", len(X), len(y)))
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
	if cfg.Lambda < 0 {
		return nil, errors.New("seizure: TrainConfig.Lambda must not be negative")
	}
	n, d := len(X), ex.Len()
	if n == 0 {
		return nil, errors.New("seizure: train: no rows")
	}
	var npos int
	for i, row := range X {
		if len(row) != d {
			panic(fmt.Sprintf("seizure: train: row %d has %d features, want %d", i, len(row), d))
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("seizure: train: row %d feature %s is %v", i, ex.Names()[j], v)
			}
		}
		if y[i] {
			npos++
		}
	}
	if npos == 0 || npos == n {
		return nil, errors.New("seizure: train: labels hold one class only")
	}
	m := &Model{Features: ex.Config(), Names: append([]string(nil), ex.Names()...),
		Mean: make([]float64, d), Std: make([]float64, d), Weights: make([]float64, d), Lambda: cfg.Lambda}
	for _, row := range X {
		for j, v := range row {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= float64(n)
	}
	for _, row := range X {
		for j, v := range row {
			m.Std[j] += (v - m.Mean[j]) * (v - m.Mean[j])
		}
	}
	for j := range m.Std {
		m.Std[j] = math.Sqrt(m.Std[j] / float64(n))
		if !(m.Std[j] > 1e-12*math.Max(1, math.Abs(m.Mean[j]))) {
			m.Std[j] = 1
		}
	}
	if cfg.Boost != nil {
		bc := cfg.Boost.withDefaults()
		if err := bc.check(); err != nil {
			return nil, err
		}
		Z := make([][]float64, n)
		for i, row := range X {
			Z[i] = make([]float64, d)
			for j, v := range row {
				Z[i][j] = (v - m.Mean[j]) / m.Std[j]
			}
		}
		sw := sampleWeights(y, npos, cfg.Balanced)
		m.Trees, m.Bias = boost(Z, y, sw, bc)
		m.Weights, m.Lambda = nil, 0
		return m, nil
	}
	// Design matrix with a leading intercept column.
	p := d + 1
	Z := mat.NewDense(n, p, nil)
	for i, row := range X {
		Z.Set(i, 0, 1)
		for j, v := range row {
			Z.Set(i, j+1, (v-m.Mean[j])/m.Std[j])
		}
	}
	sw := sampleWeights(y, npos, cfg.Balanced)
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
			return nil, fmt.Errorf("seizure: train: Newton did not converge in %d iterations", cfg.MaxIter)
		}
		// eta holds Z·beta from the last objective call.
		for i, e := range eta {
			pr := sigmoid(e)
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
			return nil, errors.New("seizure: train: Hessian not positive definite")
		}
		if err := chol.SolveVecTo(step, grad); err != nil {
			return nil, fmt.Errorf("seizure: train: %w", err)
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
			break
		}
	}
	m.Bias = beta[0]
	copy(m.Weights, beta[1:])
	return m, nil
}

// sampleWeights returns each row's weight in the loss, summing to 1: equal,
// or with balanced, n/(2·n_class) before normalising (scikit-learn's
// class_weight='balanced'). npos counts the true labels.
func sampleWeights(y []bool, npos int, balanced bool) []float64 {
	n := len(y)
	wPos, wNeg := 1.0, 1.0
	if balanced {
		wPos = float64(n) / (2 * float64(npos))
		wNeg = float64(n) / (2 * float64(n-npos))
	}
	sw := make([]float64, n)
	var wsum float64
	for i := range y {
		sw[i] = wNeg
		if y[i] {
			sw[i] = wPos
		}
		wsum += sw[i]
	}
	for i := range sw {
		sw[i] /= wsum
	}
	return sw
}

func sigmoid(e float64) float64 {
	if e >= 0 {
		return 1 / (1 + math.Exp(-e))
	}
	x := math.Exp(e)
	return x / (1 + x)
}

func softplus(e float64) float64 {
	if e > 0 {
		return e + math.Log1p(math.Exp(-e))
	}
	return math.Log1p(math.Exp(e))
}

// Probability returns the seizure probability of one feature vector (as an
// Extractor for m.Features computes it). It panics on a wrong length.
func (m *Model) Probability(features []float64) float64 {
	return sigmoid(m.Logit(features))
}

// Logit returns Bias + Weights·z, the log-odds of a seizure.
func (m *Model) Logit(features []float64) float64 {
	if len(features) != len(m.Mean) {
		panic(fmt.Sprintf("seizure: %d features, model has %d", len(features), len(m.Mean)))
	}
	s := m.Bias
	if m.Trees != nil {
		for _, t := range m.Trees {
			s += t.eval(features, m.Mean, m.Std)
		}
		return s
	}
	for j, v := range features {
		s += m.Weights[j] * (v - m.Mean[j]) / m.Std[j]
	}
	return s
}

// Detector scores raw windows with a model: it owns an Extractor and a
// feature buffer, and is not safe for concurrent use.
type Detector struct {
	m    *Model
	ex   *Extractor
	feat []float64
}

// NewDetector returns a Detector for m.
func NewDetector(m *Model) (*Detector, error) {
	ex, err := NewExtractor(m.Features)
	if err != nil {
		return nil, err
	}
	if ex.Len() != len(m.Mean) || m.Trees == nil && len(m.Weights) != len(m.Mean) {
		return nil, fmt.Errorf("seizure: model has %d weights and %d means, feature spec gives %d features", len(m.Weights), len(m.Mean), ex.Len())
	}
	return &Detector{m: m, ex: ex, feat: make([]float64, ex.Len())}, nil
}

// Probability returns the seizure probability of the window x (Channels
// rows of WindowLen samples, in V). It does not allocate.
func (d *Detector) Probability(x [][]float64) float64 {
	d.ex.Features(d.feat, x)
	return d.m.Probability(d.feat)
}
