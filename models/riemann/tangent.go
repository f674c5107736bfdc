package riemann

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// LogMap writes the affine-invariant logarithmic map of the SPD matrix x
// at the SPD reference ref into dst (nil allocates; may alias x):
// log(ref^{−1/2}·x·ref^{−1/2}), pyriemann's log_map_riemann(x, ref) with
// C12=False, the form TangentSpace vectorises. An error reports a matrix
// that is not SPD or non-finite entries.
func LogMap(dst *mat.SymDense, x, ref mat.Symmetric) (*mat.SymDense, error) {
	t, err := NewTangentSpace(ref)
	if err != nil {
		return useSym(dst, ref.SymmetricDim(), "log map"), err
	}
	return t.LogMap(dst, x)
}

// ExpMap writes the affine-invariant exponential map of the symmetric
// matrix t at the SPD reference ref into dst (nil allocates; may alias t):
// ref^{1/2}·exp(t)·ref^{1/2}, pyriemann's exp_map_riemann(t, ref) with
// Cm12=False, the inverse of LogMap. Errors as LogMap.
func ExpMap(dst *mat.SymDense, t, ref mat.Symmetric) (*mat.SymDense, error) {
	n := ref.SymmetricDim()
	dst = useSym(dst, n, "exp map")
	if t.SymmetricDim() != n {
		return dst, fmt.Errorf("riemann: exp map of a %d×%d matrix at a %d×%d reference", t.SymmetricDim(), t.SymmetricDim(), n, n)
	}
	sq, err := Sqrtm(nil, ref)
	if err != nil {
		return dst, fmt.Errorf("riemann: exp map reference: %w", err)
	}
	e, err := Expm(nil, t)
	if err != nil {
		return dst, err
	}
	var tmp, out mat.Dense
	congruence(dst, sq, e, &tmp, &out)
	return dst, nil
}

// VectorLen returns the length n(n+1)/2 of the tangent vector of an n×n
// matrix.
func VectorLen(n int) int { return n * (n + 1) / 2 }

// Upper writes the weighted upper triangle of the symmetric matrix a into
// dst (length VectorLen(n); nil allocates) and returns it: row by row,
// a_ii and √2·a_ij for j > i (numpy's triu_indices order), pyriemann's
// upper. The √2 makes the Euclidean inner product of two vectors the
// Frobenius inner product of the matrices.
func Upper(dst []float64, a mat.Symmetric) []float64 {
	n := a.SymmetricDim()
	if dst == nil {
		dst = make([]float64, VectorLen(n))
	} else if len(dst) != VectorLen(n) {
		panic(fmt.Sprintf("riemann: upper: dst has length %d, want %d", len(dst), VectorLen(n)))
	}
	k := 0
	for i := range n {
		dst[k] = a.At(i, i)
		k++
		for j := i + 1; j < n; j++ {
			dst[k] = math.Sqrt2 * a.At(i, j)
			k++
		}
	}
	return dst
}

// Unupper is the inverse of Upper: it writes the symmetric matrix of the
// vector v (length n(n+1)/2) into dst (nil allocates) and returns it. A
// length that is not triangular panics.
func Unupper(dst *mat.SymDense, v []float64) *mat.SymDense {
	n := int((math.Sqrt(1+8*float64(len(v))) - 1) / 2)
	if VectorLen(n) != len(v) {
		panic(fmt.Sprintf("riemann: unupper: length %d is not n(n+1)/2", len(v)))
	}
	dst = useSym(dst, n, "unupper")
	k := 0
	for i := range n {
		dst.SetSym(i, i, v[k])
		k++
		for j := i + 1; j < n; j++ {
			dst.SetSym(i, j, v[k]/math.Sqrt2)
			k++
		}
	}
	return dst
}

// TangentSpace projects SPD matrices onto the tangent space at a
// reference, pyriemann's TangentSpace(metric="riemann"): the vector of a
// matrix C is Upper(log(ref^{−1/2}·C·ref^{−1/2})). FitTangentSpace takes
// the Riemannian mean of training matrices as the reference, as
// TangentSpace.fit does. It keeps ref^{−1/2} and scratch space, so it is
// not safe for concurrent use.
type TangentSpace struct {
	ref, isq *mat.SymDense
	white    *mat.SymDense
	tmp, out mat.Dense
	work     spdWork
}

// NewTangentSpace returns the tangent space at ref (copied). An error
// reports a reference that is not SPD.
func NewTangentSpace(ref mat.Symmetric) (*TangentSpace, error) {
	n := ref.SymmetricDim()
	t := &TangentSpace{ref: mat.NewSymDense(n, nil), white: mat.NewSymDense(n, nil)}
	t.ref.CopySym(ref)
	var err error
	if t.isq, err = InvSqrtm(nil, ref); err != nil {
		return nil, fmt.Errorf("riemann: tangent space reference: %w", err)
	}
	return t, nil
}

// FitTangentSpace returns the tangent space at the Riemannian mean of mats
// (Mean with equal weights and cfg). Errors are Mean's.
func FitTangentSpace(mats []*mat.SymDense, cfg MeanConfig) (*TangentSpace, error) {
	ref, _, err := Mean(nil, mats, nil, cfg)
	if err != nil {
		return nil, err
	}
	return NewTangentSpace(ref)
}

// Dim returns the matrices' size n.
func (t *TangentSpace) Dim() int { return t.ref.SymmetricDim() }

// Reference returns a copy of the reference matrix.
func (t *TangentSpace) Reference() *mat.SymDense {
	r := mat.NewSymDense(t.Dim(), nil)
	r.CopySym(t.ref)
	return r
}

// LogMap writes log(ref^{−1/2}·x·ref^{−1/2}) into dst (nil allocates; may
// alias x) and returns it. An error reports x of the wrong size, not SPD or
// with non-finite entries.
func (t *TangentSpace) LogMap(dst *mat.SymDense, x mat.Symmetric) (*mat.SymDense, error) {
	n := t.Dim()
	dst = useSym(dst, n, "log map")
	if x.SymmetricDim() != n {
		return dst, fmt.Errorf("riemann: log map of a %d×%d matrix at a %d×%d reference", x.SymmetricDim(), x.SymmetricDim(), n, n)
	}
	if err := checkFinite(x); err != nil {
		return dst, fmt.Errorf("riemann: log map: %w", err)
	}
	congruence(t.white, t.isq, x, &t.tmp, &t.out)
	return t.work.function(dst, t.white, "log map", true, math.Log)
}

// Transform writes the tangent vector of x, Upper(LogMap(x)), into dst
// (length VectorLen(Dim()); nil allocates) and returns it. Errors as
// LogMap.
func (t *TangentSpace) Transform(dst []float64, x mat.Symmetric) ([]float64, error) {
	if _, err := t.LogMap(t.white, x); err != nil {
		return dst, err
	}
	return Upper(dst, t.white), nil
}
