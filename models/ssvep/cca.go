package ssvep

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// CanonicalCorrelation is a reusable plan for the canonical correlations
// between two multichannel windows of the same number of samples, computed
// by the numerically stable method of Björck & Golub (1973): centre every
// row, take orthonormal bases Qx, Qy of the column spaces of the centred
// samples×rows matrices by QR (LAPACK dgeqp3, with column pivoting), and
// return the singular values of Qxᵀ·Qy. They are the cosines of the
// principal angles between the two subspaces, in decreasing order, and
// equal numpy's
//
//	qx, _ = np.linalg.qr(X.T - X.T.mean(0)); qy, _ = np.linalg.qr(Y.T - Y.T.mean(0))
//	np.linalg.svd(qx.T @ qy, compute_uv=False)
//
// for inputs of full rank (testdata/make_golden.py checks both against
// scipy.linalg.subspace_angles). A rank-deficient input (a flat channel, a
// channel that is the sum of others) keeps only the pivoted QR's leading
// columns whose |R_ii| exceeds max(samples, rows)·ε·|R_00|, so its bases span
// exactly the data (numpy's matrix_rank tolerance); the missing
// correlations are 0. A window of all-constant rows has rank 0 and
// correlations 0.
//
// A CanonicalCorrelation is not safe for concurrent use. It allocates only
// when a window has more rows than any before.
type CanonicalCorrelation struct {
	n    int
	x, y basis
	svd  svdWork
}

// NewCanonicalCorrelation returns a plan for windows of samples samples.
// samples < 2 panics.
func NewCanonicalCorrelation(samples int) *CanonicalCorrelation {
	if samples < 2 {
		panic(fmt.Sprintf("ssvep: canonical correlation over %d samples", samples))
	}
	return &CanonicalCorrelation{n: samples}
}

// Len returns the number of samples per window.
func (c *CanonicalCorrelation) Len() int { return c.n }

// Correlations writes all min(len(x), len(y)) canonical correlations of
// x[row][sample] and y[row][sample] into dst in decreasing order and returns
// it (nil dst allocates; a wrong length panics). Every row must have Len
// samples (otherwise it panics); a non-finite value returns an error.
func (c *CanonicalCorrelation) Correlations(dst []float64, x, y [][]float64) ([]float64, error) {
	if len(x) == 0 || len(y) == 0 {
		panic("ssvep: canonical correlation of an empty window")
	}
	dst = useVector(dst, min(len(x), len(y)))
	if err := checkWindow(x, len(x), c.n); err != nil {
		return dst, fmt.Errorf("ssvep: x: %w", err)
	}
	if err := checkWindow(y, len(y), c.n); err != nil {
		return dst, fmt.Errorf("ssvep: y: %w", err)
	}
	c.x.factor(x, c.n)
	c.y.factor(y, c.n)
	if err := c.svd.correlations(dst, &c.x, &c.y); err != nil {
		return dst, fmt.Errorf("ssvep: %w", err)
	}
	return dst, nil
}

// Max returns the largest canonical correlation of x and y (see
// Correlations).
func (c *CanonicalCorrelation) Max(x, y [][]float64) (float64, error) {
	if len(x) == 0 || len(y) == 0 {
		panic("ssvep: canonical correlation of an empty window")
	}
	if err := checkWindow(x, len(x), c.n); err != nil {
		return 0, fmt.Errorf("ssvep: x: %w", err)
	}
	if err := checkWindow(y, len(y), c.n); err != nil {
		return 0, fmt.Errorf("ssvep: y: %w", err)
	}
	c.x.factor(x, c.n)
	c.y.factor(y, c.n)
	r, err := c.svd.max(&c.x, &c.y)
	if err != nil {
		return 0, fmt.Errorf("ssvep: %w", err)
	}
	return r, nil
}

// CanonicalCorrelations is the one-shot form of CanonicalCorrelation: all
// canonical correlations of x and y in decreasing order.
func CanonicalCorrelations(dst []float64, x, y [][]float64) ([]float64, error) {
	if len(x) == 0 {
		panic("ssvep: canonical correlation of an empty window")
	}
	return NewCanonicalCorrelation(len(x[0])).Correlations(dst, x, y)
}

// basis is an orthonormal basis of the column space of a centred
// samples×rows matrix: the first rank columns of q (n×cols, row-major).
type basis struct {
	n, cols, rank int
	q             []float64
	jpvt          []int
	tau, work     []float64
}

// grow sizes the buffers for an n×cols matrix.
func (b *basis) grow(n, cols int) {
	b.n, b.cols = n, cols
	if cap(b.q) < n*cols {
		b.q = make([]float64, n*cols)
	}
	b.q = b.q[:n*cols]
	k := min(n, cols)
	if cap(b.jpvt) < cols {
		b.jpvt = make([]int, cols)
		b.tau = make([]float64, cols)
	}
	b.jpvt, b.tau = b.jpvt[:cols], b.tau[:k]
	// The smallest workspaces LAPACK accepts select the unblocked
	// algorithms (dlaqp2, dorg2r): the blocked ones call Dgemm, which gonum
	// runs on several goroutines for large matrices. For the window sizes
	// here (channels ≪ 128) LAPACK would choose the unblocked code anyway.
	lw := 3*cols + 1
	if cap(b.work) < lw {
		b.work = make([]float64, lw)
	}
	b.work = b.work[:lw]
}

// factor sets b to a basis of the centred x[row][sample] (rows × n, finite).
func (b *basis) factor(x [][]float64, n int) {
	cols := len(x)
	if b.n != n || b.cols != cols {
		b.grow(n, cols)
	}
	for c, row := range x {
		mean := 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(n)
		for i, v := range row {
			b.q[i*cols+c] = v - mean
		}
	}
	b.orthonormalize()
}

// orthonormalize replaces the n×cols matrix in q by the orthonormal basis
// of its column space and sets rank.
func (b *basis) orthonormalize() {
	n, cols := b.n, b.cols
	a := blas64.General{Rows: n, Cols: cols, Stride: cols, Data: b.q}
	for j := range b.jpvt {
		b.jpvt[j] = -1
	}
	lapack64.Geqp3(a, b.jpvt, b.tau, b.work, len(b.work))
	k := min(n, cols)
	b.rank = 0
	if r00 := math.Abs(b.q[0]); r00 > 0 {
		tol := float64(max(n, cols)) * 0x1p-52 * r00
		for i := range k {
			if math.Abs(b.q[i*cols+i]) <= tol {
				break
			}
			b.rank++
		}
	}
	if b.rank == 0 {
		return
	}
	// Q's first rank columns are H_0⋯H_{rank−1} applied to e_1…e_rank.
	qa := blas64.General{Rows: n, Cols: b.rank, Stride: cols, Data: b.q}
	lapack64.Orgqr(qa, b.tau[:b.rank], b.work, len(b.work))
}

// matrix returns the basis as an n×rank view.
func (b *basis) matrix() blas64.General {
	return blas64.General{Rows: b.n, Cols: b.rank, Stride: b.cols, Data: b.q}
}

// svdWork holds the buffers for the singular values of Qxᵀ·Qy.
type svdWork struct {
	m, s, vt, work []float64
	query          [1]float64
}

// correlations writes the singular values of xᵀ·y, clipped to [0, 1] and
// padded with zeros to len(dst), into dst.
func (w *svdWork) correlations(dst []float64, x, y *basis) error {
	clear(dst)
	k, err := w.compute(x, y)
	if err != nil {
		return err
	}
	copy(dst, w.s[:min(k, len(dst))])
	return nil
}

// max returns the largest singular value of xᵀ·y, clipped to [0, 1].
func (w *svdWork) max(x, y *basis) (float64, error) {
	k, err := w.compute(x, y)
	if err != nil || k == 0 {
		return 0, err
	}
	return w.s[0], nil
}

// compute leaves the min(rank x, rank y) singular values of xᵀ·y in w.s.
func (w *svdWork) compute(x, y *basis) (int, error) {
	r, c := x.rank, y.rank
	if min(r, c) == 0 {
		return 0, nil
	}
	if x.n != y.n {
		panic(fmt.Sprintf("ssvep: bases over %d and %d samples", x.n, y.n))
	}
	if cap(w.m) < r*c {
		w.m = make([]float64, r*c)
	}
	m := blas64.General{Rows: r, Cols: c, Stride: c, Data: w.m[:r*c]}
	gemmTNSerial(x.matrix(), y.matrix(), m)
	return w.singular(m)
}

// singular leaves the min(rows, cols) singular values of m, clipped to
// [0, 1], in w.s and returns their number. m is overwritten.
func (w *svdWork) singular(m blas64.General) (int, error) {
	r, c := m.Rows, m.Cols
	k := min(r, c)
	if k == 0 {
		return 0, nil
	}
	if cap(w.s) < k {
		w.s = make([]float64, k)
	}
	// The right singular vectors are computed although unused: without
	// any vectors gonum's dbdsqr takes the dqds path, whose sort
	// allocates; with them it does not, and for these k×c matrices the
	// extra work is negligible.
	if cap(w.vt) < k*c {
		w.vt = make([]float64, k*c)
	}
	vt := blas64.General{Rows: k, Cols: c, Stride: c, Data: w.vt[:k*c]}
	none := blas64.General{Stride: 1}
	lapack64.Gesvd(lapack.SVDNone, lapack.SVDStore, m, none, vt, w.s[:k], w.query[:], -1)
	lw := max(int(w.query[0]), 5*k, 3*k+max(r, c))
	if cap(w.work) < lw {
		w.work = make([]float64, lw)
	}
	if !lapack64.Gesvd(lapack.SVDNone, lapack.SVDStore, m, none, vt, w.s[:k], w.work[:lw], lw) {
		return 0, fmt.Errorf("SVD of the %d×%d correlation matrix did not converge", r, c)
	}
	for i := range k {
		w.s[i] = min(max(w.s[i], 0), 1)
	}
	return k, nil
}

// gemmTNSerial sets c = aᵀ·b in pieces small enough that gonum's Dgemm
// runs them on the calling goroutine: it parallelises a product whose
// result spans 4 or more 64×64 blocks, spawning goroutines and allocating,
// which a per-window hot path must not do.
func gemmTNSerial(a, b, c blas64.General) {
	const rows, cols = 64, 3 * 64
	for i := 0; i < c.Rows; i += rows {
		ni := min(rows, c.Rows-i)
		for j := 0; j < c.Cols; j += cols {
			nj := min(cols, c.Cols-j)
			blas64.Gemm(blas.Trans, blas.NoTrans, 1,
				blas64.General{Rows: a.Rows, Cols: ni, Stride: a.Stride, Data: a.Data[i:]},
				blas64.General{Rows: b.Rows, Cols: nj, Stride: b.Stride, Data: b.Data[j:]},
				0, blas64.General{Rows: ni, Cols: nj, Stride: c.Stride, Data: c.Data[i*c.Stride+j:]})
		}
	}
}
