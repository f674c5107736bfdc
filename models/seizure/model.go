package seizure

import (
	"errors"
	"fmt"
	"math"

	"github.com/neurostream/neurostream/models/linear"
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

// Train fits a model on feature vectors X (rows of model inputs from an
// Extractor built from spec: Input, after the Baseline when spec has one) with labels y (true = seizure): it z-scores the features and
// fits linear.TrainLogistic (the (class-)weighted mean log loss +
// Lambda/2·‖w‖² minimised by Newton's method) or, with cfg.Boost, boosted
// trees. Errors report unusable data (no rows, one class only, non-finite
// values).
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
	if cfg.Lambda < 0 {
		return nil, errors.New("seizure: TrainConfig.Lambda must not be negative")
	}
	n, d := len(X), ex.InputLen()
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
				return nil, fmt.Errorf("seizure: train: row %d feature %s is %v", i, ex.InputNames()[j], v)
			}
		}
		if y[i] {
			npos++
		}
	}
	if npos == 0 || npos == n {
		return nil, errors.New("seizure: train: labels hold one class only")
	}
	m := &Model{Features: ex.Config(), Names: append([]string(nil), ex.InputNames()...),
		Mean: make([]float64, d), Std: make([]float64, d), Lambda: cfg.Lambda}
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
	Z := make([][]float64, n)
	for i, row := range X {
		Z[i] = make([]float64, d)
		for j, v := range row {
			Z[i][j] = (v - m.Mean[j]) / m.Std[j]
		}
	}
	if cfg.Boost != nil {
		bc := cfg.Boost.withDefaults()
		if err := bc.check(); err != nil {
			return nil, err
		}
		labels := make([]int, n)
		for i, l := range y {
			if l {
				labels[i] = 1
			}
		}
		m.Trees, m.Bias = boost(Z, y, linear.SampleWeights(labels, 2, cfg.Balanced), bc)
		m.Weights, m.Lambda = nil, 0
		return m, nil
	}
	lr, err := linear.TrainLogistic(Z, y, linear.LogisticConfig{
		Lambda: cfg.Lambda, Balanced: cfg.Balanced, MaxIter: cfg.MaxIter, Tol: cfg.Tol})
	if err != nil {
		return nil, fmt.Errorf("seizure: train: %w", err)
	}
	m.Weights, m.Bias = lr.Weights, lr.Bias
	return m, nil
}

// Probability returns the seizure probability of one feature vector (as an
// Extractor for m.Features computes it). It panics on a wrong length.
func (m *Model) Probability(features []float64) float64 {
	return linear.Sigmoid(m.Logit(features))
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

// Detector scores raw windows with a model: it owns an Extractor, feature
// buffers and, for a model on baseline-relative features
// (FeatureConfig.BaselineSeconds), the recording's running Baseline. It is
// not safe for concurrent use; use one per recording.
type Detector struct {
	m        *Model
	ex       *Extractor
	feat, in []float64
	base     *Baseline // nil for absolute features
}

// NewDetector returns a Detector for m.
func NewDetector(m *Model) (*Detector, error) {
	ex, err := NewExtractor(m.Features)
	if err != nil {
		return nil, err
	}
	if ex.InputLen() != len(m.Mean) || m.Trees == nil && len(m.Weights) != len(m.Mean) {
		return nil, fmt.Errorf("seizure: model has %d weights and %d means, feature spec gives %d features", len(m.Weights), len(m.Mean), ex.InputLen())
	}
	d := &Detector{m: m, ex: ex, feat: make([]float64, ex.Len()), in: make([]float64, ex.InputLen())}
	if tau := m.Features.BaselineSeconds; tau > 0 {
		d.base = NewBaseline(ex.InputLen(), tau)
	}
	return d, nil
}

// Probability returns the seizure probability of the window x (Channels
// rows of WindowLen samples, in V). It does not allocate. It panics for a
// model on baseline-relative features, which needs the window's time:
// use ProbabilityAt.
func (d *Detector) Probability(x [][]float64) float64 {
	if d.base != nil {
		panic("seizure: Detector.Probability of a model on baseline-relative features; use ProbabilityAt")
	}
	return d.ProbabilityAt(x, 0)
}

// ProbabilityAt returns the seizure probability of the window x starting
// at t seconds into the recording (windows in order). For a model on
// baseline-relative features the window is scored against the baseline
// of the windows before it, then joins it; otherwise t is unused. It does
// not allocate.
func (d *Detector) ProbabilityAt(x [][]float64, t float64) float64 {
	in := d.ex.Input(d.in, d.ex.Features(d.feat, x))
	if d.base != nil {
		d.base.Relative(in, t)
	}
	return d.m.Probability(in)
}

// Baseline returns the detector's running baseline, nil for a model on
// absolute features: its State and SetState checkpoint a stream.
func (d *Detector) Baseline() *Baseline { return d.base }
