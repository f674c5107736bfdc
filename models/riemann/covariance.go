package riemann

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Estimator names a covariance estimator with pyriemann's strings (the
// estimator argument of pyriemann.estimation.Covariances).
type Estimator string

// Covariance estimators.
const (
	// SCM is the sample covariance of the channel-centred window,
	// S = X̃·X̃ᵀ/n (pyriemann's covariance_scm, scikit-learn's
	// empirical_covariance): the maximum-likelihood estimate, divided by n,
	// not n − 1.
	SCM Estimator = "scm"
	// LedoitWolf shrinks S toward μ·I, μ = tr(S)/p, with the Ledoit–Wolf
	// (2004) coefficient as scikit-learn's ledoit_wolf computes it.
	LedoitWolf Estimator = "lwf"
	// OAS shrinks S toward μ·I with the oracle approximating shrinkage
	// coefficient (Chen et al. 2010) as scikit-learn's oas computes it.
	OAS Estimator = "oas"
)

// Valid reports whether e is a known estimator.
func (e Estimator) Valid() bool { return e == SCM || e == LedoitWolf || e == OAS }

// CovarianceConfig configures a covariance plan.
type CovarianceConfig struct {
	// Estimator is the estimator. Default: SCM (pyriemann's Covariances
	// default is "scm"; MOABB's SSVEP pipelines use "oas").
	Estimator Estimator `json:"estimator,omitempty"`
	// Channels is the number of channels p of a window. Required.
	Channels int `json:"channels"`
	// Samples is the number of samples n of a window. Required.
	Samples int `json:"samples"`
}

// Covariance is a reusable covariance plan for windows of one shape, like
// gonum's fourier.NewFFT(n). It is not safe for concurrent use and
// allocates nothing per window once built.
type Covariance struct {
	cfg       CovarianceConfig
	xc        []float64 // channels × samples, centred, row-major
	shrinkage float64
}

// NewCovariance returns a covariance plan. An error reports an unknown
// estimator or a shape with no channel or fewer than 2 samples.
func NewCovariance(cfg CovarianceConfig) (*Covariance, error) {
	if cfg.Estimator == "" {
		cfg.Estimator = SCM
	}
	if !cfg.Estimator.Valid() {
		return nil, fmt.Errorf("riemann: covariance estimator %q: want scm, lwf or oas", cfg.Estimator)
	}
	if cfg.Channels < 1 || cfg.Samples < 2 {
		return nil, fmt.Errorf("riemann: covariance of %d channels × %d samples: want ≥ 1 channel and ≥ 2 samples", cfg.Channels, cfg.Samples)
	}
	return &Covariance{cfg: cfg, xc: make([]float64, cfg.Channels*cfg.Samples)}, nil
}

// Config returns the configuration with its defaults filled in.
func (c *Covariance) Config() CovarianceConfig { return c.cfg }

// Shrinkage returns the shrinkage coefficient of the last Estimate: 0 for
// SCM and for a single channel (scikit-learn's convention).
func (c *Covariance) Shrinkage() float64 { return c.shrinkage }

// Estimate writes the covariance of the window x[channel][sample] into dst
// (p×p; nil allocates) and returns it. Every channel is centred on its
// mean first (assume_centered=False); with S = X̃·X̃ᵀ/n, μ = tr(S)/p and
// the shrinkage coefficient s the estimate is (1 − s)·S + s·μ·I, where
//
//	SCM:  s = 0
//	lwf:  s = min(b, d)/d,  b = (Σ_t ‖x̃_t‖⁴/n − ‖S‖²_F)/(p·n),
//	      d = (‖S‖²_F − p·μ²)/p  (s = 0 when b = 0)
//	oas:  s = min(1, (a + μ²)/((n + 1)·(a − μ²/p))),  a = ‖S‖²_F/p²
//	      (s = 1 when the denominator is 0)
//
// x̃_t being sample t of the centred window across channels: exactly
// scikit-learn 1.9's ledoit_wolf and oas on xᵀ, as pyriemann calls them. A
// window of the wrong shape panics; an error reports a NaN or ±Inf sample.
func (c *Covariance) Estimate(dst *mat.SymDense, x [][]float64) (*mat.SymDense, error) {
	p, n := c.cfg.Channels, c.cfg.Samples
	dst = useSym(dst, p, "covariance")
	if len(x) != p {
		panic(fmt.Sprintf("riemann: covariance: window has %d channels, want %d", len(x), p))
	}
	for ch, row := range x {
		if len(row) != n {
			panic(fmt.Sprintf("riemann: covariance: channel %d has %d samples, want %d", ch, len(row), n))
		}
		mean := 0.0
		for t, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return dst, fmt.Errorf("riemann: covariance: channel %d sample %d is %v", ch, t, v)
			}
			mean += v
		}
		mean /= float64(n)
		out := c.xc[ch*n : (ch+1)*n]
		for t, v := range row {
			out[t] = v - mean
		}
	}
	raw := dst.RawSymmetric()
	blas64.Syrk(blas.NoTrans, 1/float64(n), blas64.General{Rows: p, Cols: n, Stride: n, Data: c.xc}, 0, raw)
	c.shrinkage = 0
	if p == 1 || c.cfg.Estimator == SCM {
		return dst, nil
	}
	var trace, frob float64
	for i := range p {
		trace += raw.Data[i*raw.Stride+i]
		for j := i; j < p; j++ {
			v := raw.Data[i*raw.Stride+j]
			if j == i {
				frob += v * v
			} else {
				frob += 2 * v * v
			}
		}
	}
	fp, fn := float64(p), float64(n)
	mu := trace / fp
	var s float64
	switch c.cfg.Estimator {
	case LedoitWolf:
		s = c.ledoitWolf(frob, trace, mu)
	case OAS:
		alpha := frob / (fp * fp)
		num := alpha + mu*mu
		den := (fn + 1) * (alpha - mu*mu/fp)
		s = 1
		if den != 0 {
			s = min(num/den, 1)
		}
	}
	c.shrinkage = s
	for i := range p {
		row := raw.Data[i*raw.Stride : i*raw.Stride+p]
		for j := i; j < p; j++ {
			row[j] *= 1 - s
		}
		row[i] += s * mu
	}
	return dst, nil
}

// ledoitWolf returns scikit-learn's Ledoit–Wolf shrinkage of the centred
// window in c.xc, given ‖S‖²_F, tr(S) and μ (ledoit_wolf_shrinkage with
// its default block size: the blocks only split the sums).
func (c *Covariance) ledoitWolf(frob, trace, mu float64) float64 {
	p, n := c.cfg.Channels, c.cfg.Samples
	// beta_ = Σ_ij (X2ᵀ·X2)_ij = Σ_t (Σ_i x̃_it²)², X2 the squared samples.
	var beta0 float64
	for t := range n {
		var s float64
		for ch := range p {
			v := c.xc[ch*n+t]
			s += v * v
		}
		beta0 += s * s
	}
	fp, fn := float64(p), float64(n)
	delta0 := frob // Σ (X̃ᵀX̃)²/n² = ‖S‖²_F
	beta := (beta0/fn - delta0) / (fp * fn)
	delta := (delta0 - 2*mu*trace + fp*mu*mu) / fp
	beta = min(beta, delta)
	if beta == 0 {
		return 0
	}
	return beta / delta
}

// Covariances estimates the covariance of every window of xs (all of one
// shape) with estimator est and returns them: the one-shot form of
// Covariance, pyriemann's covariances(X, estimator). An error names the
// window that failed.
func Covariances(xs [][][]float64, est Estimator) ([]*mat.SymDense, error) {
	if len(xs) == 0 {
		return nil, nil
	}
	if len(xs[0]) == 0 {
		return nil, fmt.Errorf("riemann: covariances: window 0 has no channel")
	}
	c, err := NewCovariance(CovarianceConfig{Estimator: est, Channels: len(xs[0]), Samples: len(xs[0][0])})
	if err != nil {
		return nil, err
	}
	out := make([]*mat.SymDense, len(xs))
	for i, x := range xs {
		if out[i], err = c.Estimate(nil, x); err != nil {
			return nil, fmt.Errorf("window %d: %w", i, err)
		}
	}
	return out, nil
}
