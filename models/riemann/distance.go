package riemann

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Distance returns the affine-invariant Riemannian distance between the
// SPD matrices a and b,
//
//	δ(A, B) = ‖log(B^{−1/2}·A·B^{−1/2})‖_F = √(Σ_i log² λ_i),
//
// λ_i the generalized eigenvalues of A·v = λ·B·v, computed as pyriemann's
// distance_riemann does: by the Cholesky factor B = L·Lᵀ and the
// eigenvalues of L⁻¹·A·L⁻ᵀ. An error reports matrices of different sizes,
// non-finite entries or a matrix that is not positive definite.
func Distance(a, b mat.Symmetric) (float64, error) {
	var d Distancer
	if err := d.SetReference(b); err != nil {
		return 0, err
	}
	return d.Distance(a)
}

// Distancer computes distances δ(A, B) to one fixed SPD matrix B, the
// reference: MDM's class means. The reference's Cholesky factor is kept,
// so each distance costs two triangular solves and one symmetric
// eigenvalue problem. It is not safe for concurrent use.
type Distancer struct {
	n    int
	chol mat.Cholesky
	l    blas64.Triangular
	z    blas64.General
	sym  *mat.SymDense
	eig  mat.EigenSym
	vals []float64
}

// SetReference sets B. An error reports non-finite entries or a B that is
// not positive definite.
func (d *Distancer) SetReference(b mat.Symmetric) error {
	if err := checkFinite(b); err != nil {
		return fmt.Errorf("riemann: distance reference: %w", err)
	}
	if !d.chol.Factorize(b) {
		return fmt.Errorf("riemann: distance reference: %w", ErrNotPositiveDefinite)
	}
	n := b.SymmetricDim()
	var lt mat.TriDense
	d.chol.LTo(&lt)
	d.n = n
	d.l = lt.RawTriangular()
	d.z = blas64.General{Rows: n, Cols: n, Stride: n, Data: make([]float64, n*n)}
	d.sym = mat.NewSymDense(n, nil)
	return nil
}

// Distance returns δ(a, B). An error reports a of the wrong size,
// non-finite entries, or generalized eigenvalues ≤ 0 (a not positive
// definite).
func (d *Distancer) Distance(a mat.Symmetric) (float64, error) {
	d2, err := d.Squared(a)
	return math.Sqrt(d2), err
}

// Squared returns δ²(a, B), errors as Distance.
func (d *Distancer) Squared(a mat.Symmetric) (float64, error) {
	n := d.n
	if a.SymmetricDim() != n {
		return 0, fmt.Errorf("riemann: distance between %d×%d and %d×%d matrices", a.SymmetricDim(), a.SymmetricDim(), n, n)
	}
	if err := checkFinite(a); err != nil {
		return 0, fmt.Errorf("riemann: distance: %w", err)
	}
	for i := range n {
		for j := range n {
			d.z.Data[i*n+j] = a.At(i, j)
		}
	}
	// Z = L⁻¹·A·L⁻ᵀ: solve L·Y = A, then Z·Lᵀ = Y.
	blas64.Trsm(blas.Left, blas.NoTrans, 1, d.l, d.z)
	blas64.Trsm(blas.Right, blas.Trans, 1, d.l, d.z)
	raw := d.sym.RawSymmetric()
	for i := range n {
		copy(raw.Data[i*raw.Stride+i:i*raw.Stride+n], d.z.Data[i*n+i:i*n+n])
	}
	if !d.eig.Factorize(d.sym, false) {
		return 0, fmt.Errorf("riemann: distance: eigendecomposition did not converge")
	}
	d.vals = d.eig.Values(d.vals)
	if !(d.vals[0] > 0) {
		return 0, fmt.Errorf("riemann: distance: generalized eigenvalue %v: %w", d.vals[0], ErrNotPositiveDefinite)
	}
	var s float64
	for _, v := range d.vals {
		l := math.Log(v)
		s += l * l
	}
	return s, nil
}
