package riemann

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// ErrNotPositiveDefinite reports a matrix with an eigenvalue ≤ 0 (or a
// failed Cholesky factorisation) where an SPD matrix is needed. Errors
// wrap it with what the matrix was.
var ErrNotPositiveDefinite = errors.New("matrix is not positive definite")

// useSym returns dst, or a new n×n matrix when dst is nil. A dst of
// another size panics.
func useSym(dst *mat.SymDense, n int, op string) *mat.SymDense {
	if dst == nil {
		return mat.NewSymDense(n, nil)
	}
	if dst.SymmetricDim() != n {
		panic(fmt.Sprintf("riemann: %s: dst is %d×%d, want %d×%d", op, dst.SymmetricDim(), dst.SymmetricDim(), n, n))
	}
	return dst
}

// checkFinite returns an error naming the first NaN or ±Inf entry of a.
func checkFinite(a mat.Symmetric) error {
	n := a.SymmetricDim()
	for i := range n {
		for j := i; j < n; j++ {
			if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("entry (%d, %d) is %v", i, j, v)
			}
		}
	}
	return nil
}

// spdWork is the scratch space of the eigendecomposition-based matrix
// functions: f(A) = V·diag(f(λ))·Vᵀ with A = V·diag(λ)·Vᵀ, as pyriemann's
// _matrix_operator computes it (numpy.linalg.eigh, then
// eigvecs @ (f(eigvals)[:, None] * eigvecs.T)).
type spdWork struct {
	eig    mat.EigenSym
	vecs   mat.Dense
	scaled mat.Dense
	prod   mat.Dense
	vals   []float64
}

// decompose factorises a (finite, checked) and leaves its eigenvalues in
// w.vals (ascending) and eigenvectors in w.vecs.
func (w *spdWork) decompose(a mat.Symmetric) error {
	if err := checkFinite(a); err != nil {
		return err
	}
	if !w.eig.Factorize(a, true) {
		return errors.New("eigendecomposition did not converge")
	}
	w.vals = w.eig.Values(w.vals)
	w.eig.VectorsTo(&w.vecs)
	return nil
}

// apply writes V·diag(f(λ))·Vᵀ of the last decomposition into dst.
func (w *spdWork) apply(dst *mat.SymDense, f func(float64) float64) {
	n := len(w.vals)
	if r, _ := w.scaled.Dims(); r != n {
		w.scaled = *mat.NewDense(n, n, nil)
		w.prod = *mat.NewDense(n, n, nil)
	}
	v := w.vecs.RawMatrix()
	s := w.scaled.RawMatrix()
	for i := range n {
		for j := range n {
			s.Data[i*s.Stride+j] = v.Data[i*v.Stride+j] * f(w.vals[j])
		}
	}
	p := w.prod.RawMatrix()
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, s, v, 0, p)
	raw := dst.RawSymmetric()
	for i := range n {
		copy(raw.Data[i*raw.Stride+i:i*raw.Stride+n], p.Data[i*p.Stride+i:i*p.Stride+n])
	}
}

// function computes dst = f(a) by eigendecomposition; positive demands
// eigenvalues > 0 (for the logarithm and the square roots).
func (w *spdWork) function(dst *mat.SymDense, a mat.Symmetric, op string, positive bool, f func(float64) float64) (*mat.SymDense, error) {
	n := a.SymmetricDim()
	dst = useSym(dst, n, op)
	if err := w.decompose(a); err != nil {
		return dst, fmt.Errorf("riemann: %s: %w", op, err)
	}
	if positive && !(w.vals[0] > 0) {
		return dst, fmt.Errorf("riemann: %s: smallest eigenvalue %v: %w", op, w.vals[0], ErrNotPositiveDefinite)
	}
	w.apply(dst, f)
	return dst, nil
}

func isqrt(x float64) float64 { return 1 / math.Sqrt(x) }

// Sqrtm writes the principal square root A^{1/2} of the SPD matrix a into
// dst (nil allocates; may alias a) and returns it. An error reports a
// non-finite entry or an eigenvalue ≤ 0.
func Sqrtm(dst *mat.SymDense, a mat.Symmetric) (*mat.SymDense, error) {
	var w spdWork
	return w.function(dst, a, "sqrtm", true, math.Sqrt)
}

// InvSqrtm writes A^{−1/2} of the SPD matrix a into dst (nil allocates;
// may alias a) and returns it. Errors as Sqrtm.
func InvSqrtm(dst *mat.SymDense, a mat.Symmetric) (*mat.SymDense, error) {
	var w spdWork
	return w.function(dst, a, "invsqrtm", true, isqrt)
}

// Logm writes the principal logarithm of the SPD matrix a into dst (nil
// allocates; may alias a) and returns it. Errors as Sqrtm.
func Logm(dst *mat.SymDense, a mat.Symmetric) (*mat.SymDense, error) {
	var w spdWork
	return w.function(dst, a, "logm", true, math.Log)
}

// Expm writes the exponential of the symmetric matrix a into dst (nil
// allocates; may alias a) and returns it: an SPD matrix. An error reports
// a non-finite entry.
func Expm(dst *mat.SymDense, a mat.Symmetric) (*mat.SymDense, error) {
	var w spdWork
	return w.function(dst, a, "expm", false, math.Exp)
}

// Powm writes A^p of the SPD matrix a into dst (nil allocates; may alias
// a) and returns it. Errors as Sqrtm.
func Powm(dst *mat.SymDense, a mat.Symmetric, p float64) (*mat.SymDense, error) {
	var w spdWork
	return w.function(dst, a, "powm", true, func(x float64) float64 { return math.Pow(x, p) })
}

// congruence writes (B·A)·B (B symmetric; numpy's left-to-right B @ A @ B)
// into dst, the whitening step of the maps and the mean, using tmp and out
// (resized to n×n as needed) as scratch.
func congruence(dst *mat.SymDense, b, a mat.Symmetric, tmp, out *mat.Dense) {
	n := a.SymmetricDim()
	if r, _ := tmp.Dims(); r != n {
		*tmp = *mat.NewDense(n, n, nil)
		*out = *mat.NewDense(n, n, nil)
	}
	tmp.Mul(b, a)
	out.Mul(tmp, b)
	raw := dst.RawSymmetric()
	o := out.RawMatrix()
	for i := range n {
		copy(raw.Data[i*raw.Stride+i:i*raw.Stride+n], o.Data[i*o.Stride+i:i*o.Stride+n])
	}
}
