package riemann

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MeanConfig configures Mean. The zero value is pyriemann's mean_riemann
// defaults.
type MeanConfig struct {
	// Tol stops the gradient descent when the Frobenius norm of the
	// gradient, or the step size ν, falls to it or below. Default: 1e-8
	// (pyriemann's tol=10e-9).
	Tol float64 `json:"tol,omitempty"`
	// MaxIter bounds the iterations. Default: 50.
	MaxIter int `json:"max_iter,omitempty"`
}

func (c MeanConfig) resolve() (MeanConfig, error) {
	if c.Tol == 0 {
		c.Tol = 1e-8
	}
	if c.MaxIter == 0 {
		c.MaxIter = 50
	}
	if !(c.Tol > 0) || c.MaxIter < 1 {
		return c, fmt.Errorf("riemann: mean: tol %v and max_iter %d: want > 0 and ≥ 1", c.Tol, c.MaxIter)
	}
	return c, nil
}

// MeanStats says how the gradient descent of Mean ended.
type MeanStats struct {
	// Iterations is the number of iterations run.
	Iterations int
	// Converged is false when MaxIter iterations ran without reaching the
	// tolerance (pyriemann warns "Convergence not reached" and returns the
	// last iterate, as Mean does).
	Converged bool
	// Gradient is the Frobenius norm of the last gradient.
	Gradient float64
}

// Mean writes the affine-invariant Riemannian (Karcher) mean of the SPD
// matrices mats, with weights w (nil: equal; normalised to sum 1), into
// dst (nil allocates) and returns it: the M minimising Σ_i w_i·δ²(M, C_i).
// It runs pyriemann's mean_riemann: from the weighted Euclidean mean M,
// with step ν = 1 and τ = the largest float64,
//
//	J = Σ_i w_i·log(M^{−1/2}·C_i·M^{−1/2})
//	M ← M^{1/2}·exp(ν·J)·M^{1/2}
//	h = ν·‖J‖_F;  if h < τ { ν ← 0.95·ν; τ = h } else { ν ← 0.5·ν }
//
// until ‖J‖_F ≤ Tol or ν ≤ Tol, or MaxIter iterations. An error reports no
// matrices, matrices of different sizes, weights of the wrong length or
// not positive in sum, a bad configuration, or a matrix that is not SPD.
func Mean(dst *mat.SymDense, mats []*mat.SymDense, w []float64, cfg MeanConfig) (*mat.SymDense, MeanStats, error) {
	var st MeanStats
	cfg, err := cfg.resolve()
	if err != nil {
		return dst, st, err
	}
	if len(mats) == 0 {
		return dst, st, fmt.Errorf("riemann: mean of no matrices")
	}
	n := mats[0].SymmetricDim()
	dst = useSym(dst, n, "mean")
	w, err = normWeights(w, len(mats))
	if err != nil {
		return dst, st, err
	}
	M := mat.NewSymDense(n, nil)
	for i, c := range mats {
		if c.SymmetricDim() != n {
			return dst, st, fmt.Errorf("riemann: mean: matrix %d is %d×%d, matrix 0 %d×%d", i, c.SymmetricDim(), c.SymmetricDim(), n, n)
		}
		if err := checkFinite(c); err != nil {
			return dst, st, fmt.Errorf("riemann: mean: matrix %d: %w", i, err)
		}
		M.AddSym(M, scaled(c, w[i]))
	}
	var work spdWork
	sq, isq := mat.NewSymDense(n, nil), mat.NewSymDense(n, nil)
	white, J := mat.NewSymDense(n, nil), mat.NewSymDense(n, nil)
	var tmp, out mat.Dense
	nu, tau := 1.0, math.MaxFloat64
	for st.Iterations < cfg.MaxIter {
		st.Iterations++
		if err := work.decompose(M); err != nil {
			return dst, st, fmt.Errorf("riemann: mean: iteration %d: %w", st.Iterations, err)
		}
		if !(work.vals[0] > 0) {
			return dst, st, fmt.Errorf("riemann: mean: iteration %d: %w", st.Iterations, ErrNotPositiveDefinite)
		}
		work.apply(sq, math.Sqrt)
		work.apply(isq, isqrt)
		J.Zero()
		for i, c := range mats {
			congruence(white, isq, c, &tmp, &out)
			if _, err := work.function(white, white, "logm", true, math.Log); err != nil {
				return dst, st, fmt.Errorf("riemann: mean: matrix %d: %w", i, err)
			}
			J.AddSym(J, scaled(white, w[i]))
		}
		crit := frobenius(J)
		st.Gradient = crit
		J.ScaleSym(nu, J)
		if _, err := work.function(white, J, "expm", false, math.Exp); err != nil {
			return dst, st, fmt.Errorf("riemann: mean: iteration %d: %w", st.Iterations, err)
		}
		congruence(M, sq, white, &tmp, &out)
		if h := nu * crit; h < tau {
			nu *= 0.95
			tau = h
		} else {
			nu *= 0.5
		}
		if crit <= cfg.Tol || nu <= cfg.Tol {
			st.Converged = true
			break
		}
	}
	dst.CopySym(M)
	return dst, st, nil
}

// normWeights returns w normalised to sum 1, or equal weights for nil.
func normWeights(w []float64, n int) ([]float64, error) {
	out := make([]float64, n)
	if w == nil {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out, nil
	}
	if len(w) != n {
		return nil, fmt.Errorf("riemann: mean: %d weights for %d matrices", len(w), n)
	}
	var s float64
	for i, v := range w {
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("riemann: mean: weight %d is %v, want finite and ≥ 0", i, v)
		}
		s += v
	}
	if !(s > 0) {
		return nil, fmt.Errorf("riemann: mean: weights sum to %v, want > 0", s)
	}
	for i, v := range w {
		out[i] = v / s
	}
	return out, nil
}

// scaled returns s·a as a new matrix.
func scaled(a *mat.SymDense, s float64) *mat.SymDense {
	var out mat.SymDense
	out.ScaleSym(s, a)
	return &out
}

// frobenius returns ‖a‖_F.
func frobenius(a mat.Symmetric) float64 {
	n := a.SymmetricDim()
	var s float64
	for i := range n {
		for j := range n {
			v := a.At(i, j)
			s += v * v
		}
	}
	return math.Sqrt(s)
}
