package riemann

import (
	"fmt"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/linear"
	"gonum.org/v1/gonum/mat"
)

// TSLRConfig configures TrainTSLR. The zero value is MOABB's SSVEP_TS
// pipeline: TangentSpace(metric="riemann") then LogisticRegression(C=1).
type TSLRConfig struct {
	// Mean configures the reference's Riemannian mean. Default: pyriemann's.
	Mean MeanConfig `json:"mean,omitzero"`
	// C is the inverse L2 regularisation strength, as scikit-learn's: the
	// objective is the mean log loss + ‖W‖²/(2·C·n) on n training
	// matrices. Default: 1.
	C float64 `json:"c,omitempty"`
	// Standardize scales each tangent-space feature to zero mean and unit
	// variance before the penalty applies (models/linear's default), which
	// scikit-learn's LogisticRegression does not. Default: false.
	Standardize bool `json:"standardize,omitempty"`
}

// TSLR is a trained tangent space + logistic regression classifier: a
// matrix's tangent vector at the training matrices' Riemannian mean
// (TangentSpace) is classified by an L2 multinomial logistic regression
// (models/linear's Softmax). It is not safe for concurrent use; Clone gives
// another goroutine its own.
//
// Against scikit-learn's LogisticRegression() defaults (lbfgs, C = 1,
// intercept unpenalised, multinomial): the objective is the same — for two
// classes the softmax's symmetric weights are scikit-learn's binomial
// weights halved and the penalty is doubled to match. The optimiser
// differs: gonum's L-BFGS runs to a gradient norm of 1e-7 (500 iterations
// at most) where scikit-learn stops at a projected gradient of 1e-4 (100
// iterations), so the weights agree to scikit-learn's tolerance, not to
// the last digit (the golden test compares with a tightly converged
// scikit-learn fit).
type TSLR struct {
	classes []int
	ts      *TangentSpace
	lr      *linear.Softmax
	vec     []float64
}

// TrainTSLR fits a TSLR on the SPD matrices covs with integer labels (the
// classes are the distinct labels, ascending). An error reports mismatched
// lengths, fewer than two classes, a failed mean or a failed fit.
func TrainTSLR(covs []*mat.SymDense, labels []int, cfg TSLRConfig) (*TSLR, error) {
	if len(covs) != len(labels) {
		return nil, fmt.Errorf("riemann: ts-lr: %d matrices, %d labels", len(covs), len(labels))
	}
	if cfg.C == 0 {
		cfg.C = 1
	}
	if !(cfg.C > 0) || math.IsInf(cfg.C, 0) {
		return nil, fmt.Errorf("riemann: ts-lr: C = %v, want > 0", cfg.C)
	}
	classes, idx := classIndex(labels)
	if len(classes) < 2 {
		return nil, fmt.Errorf("riemann: ts-lr: %d classes, want ≥ 2", len(classes))
	}
	ts, err := FitTangentSpace(covs, cfg.Mean)
	if err != nil {
		return nil, fmt.Errorf("riemann: ts-lr: %w", err)
	}
	X := make([]linear.Sparse, len(covs))
	for i, c := range covs {
		v, err := ts.Transform(nil, c)
		if err != nil {
			return nil, fmt.Errorf("riemann: ts-lr: matrix %d: %w", i, err)
		}
		X[i] = linear.Dense(v)
	}
	lambda := 1 / (cfg.C * float64(len(covs)))
	if len(classes) == 2 {
		lambda *= 2
	}
	lr, err := linear.Train(X, idx, len(classes), VectorLen(ts.Dim()), linear.Config{Lambda: lambda, Raw: !cfg.Standardize})
	if err != nil {
		return nil, fmt.Errorf("riemann: ts-lr: %w", err)
	}
	return NewTSLR(classes, ts.ref, lr)
}

// NewTSLR returns the TSLR with the given class labels, tangent-space
// reference and logistic regression (e.g. read from a model file; the
// reference is copied, lr is shared and read only). An error reports
// inconsistent sizes or a reference that is not SPD.
func NewTSLR(classes []int, ref mat.Symmetric, lr *linear.Softmax) (*TSLR, error) {
	ts, err := NewTangentSpace(ref)
	if err != nil {
		return nil, fmt.Errorf("riemann: ts-lr: %w", err)
	}
	if lr.Classes != len(classes) || lr.Dim != VectorLen(ts.Dim()) || len(lr.Weights) != lr.Classes*lr.Dim || len(lr.Bias) != lr.Classes {
		return nil, fmt.Errorf("riemann: ts-lr: %d classes and %d×%d reference, logistic regression of %d classes × %d features",
			len(classes), ts.Dim(), ts.Dim(), lr.Classes, lr.Dim)
	}
	return &TSLR{classes: slices.Clone(classes), ts: ts, lr: lr, vec: make([]float64, lr.Dim)}, nil
}

// Clone returns a TSLR with the same parameters and its own scratch space.
func (m *TSLR) Clone() *TSLR {
	c, err := NewTSLR(m.classes, m.ts.ref, m.lr)
	if err != nil {
		panic("riemann: ts-lr: clone: " + err.Error())
	}
	return c
}

// Classes returns the class labels, ascending.
func (m *TSLR) Classes() []int { return slices.Clone(m.classes) }

// TangentSpace returns the fitted tangent space (shared).
func (m *TSLR) TangentSpace() *TangentSpace { return m.ts }

// Logistic returns the logistic regression on the tangent vectors
// (shared; read only).
func (m *TSLR) Logistic() *linear.Softmax { return m.lr }

// LogOdds writes the class scores Bias + W·v of c's tangent vector v into
// dst (length len(Classes); nil allocates) and returns it: scikit-learn's
// decision_function for more than two classes. An error reports c of the
// wrong size or not SPD.
func (m *TSLR) LogOdds(dst []float64, c mat.Symmetric) ([]float64, error) {
	if dst == nil {
		dst = make([]float64, len(m.classes))
	} else if len(dst) != len(m.classes) {
		panic(fmt.Sprintf("riemann: ts-lr: dst has length %d, want %d", len(dst), len(m.classes)))
	}
	if _, err := m.ts.Transform(m.vec, c); err != nil {
		return dst, fmt.Errorf("riemann: ts-lr: %w", err)
	}
	for k := range m.classes {
		s := m.lr.Bias[k]
		row := m.lr.Weights[k*m.lr.Dim : (k+1)*m.lr.Dim]
		for j, v := range m.vec {
			s += row[j] * v
		}
		dst[k] = s
	}
	return dst, nil
}

// Probabilities writes the class probabilities of c into dst (length
// len(Classes); nil allocates) and returns it, scikit-learn's
// predict_proba. Errors as LogOdds.
func (m *TSLR) Probabilities(dst []float64, c mat.Symmetric) ([]float64, error) {
	dst, err := m.LogOdds(dst, c)
	if err == nil {
		softmax(dst)
	}
	return dst, err
}

// Predict returns the most probable class label (the first on ties).
// Errors as LogOdds.
func (m *TSLR) Predict(c mat.Symmetric) (int, error) {
	s, err := m.LogOdds(nil, c)
	if err != nil {
		return 0, err
	}
	best := 0
	for k, v := range s {
		if v > s[best] {
			best = k
		}
	}
	return m.classes[best], nil
}
