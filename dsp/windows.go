package dsp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Hamming fills dst with an n-point Hamming window,
// w[i] = 0.54 − 0.46·cos(2πi/d), with d = n−1 for the symmetric form
// (scipy.signal.windows.hamming(n), for filter design) and d = n for the
// periodic, DFT-even form (hamming(n, sym=False), as get_window('hamming', n)
// returns for spectral analysis). n = 1 gives [1]. dst has length n (nil
// allocates) and is returned.
func Hamming(dst []float64, n int, periodic bool) []float64 {
	return winCosine(dst, n, periodic, 0.54, 0.46, 0, "Hamming")
}

// Blackman fills dst with an n-point Blackman window,
// w[i] = 0.42 − 0.5·cos(2πi/d) + 0.08·cos(4πi/d), with d = n−1 for the
// symmetric form (scipy.signal.windows.blackman(n)) and d = n for the
// periodic form (blackman(n, sym=False)). n = 1 gives [1]. dst has length
// n (nil allocates) and is returned.
func Blackman(dst []float64, n int, periodic bool) []float64 {
	return winCosine(dst, n, periodic, 0.42, 0.5, 0.08, "Blackman")
}

// winCosine fills dst with a0 − a1·cos(2πi/d) + a2·cos(4πi/d), scipy's
// general_cosine with coefficients (a0, a1, a2); op names the window in
// panics.
func winCosine(dst []float64, n int, periodic bool, a0, a1, a2 float64, op string) []float64 {
	if n < 0 {
		panic(fmt.Sprintf("dsp: %s: n = %d, want ≥ 0", op, n))
	}
	dst = useDst(dst, n, op)
	if n == 1 {
		dst[0] = 1
		return dst
	}
	d := float64(n - 1)
	if periodic {
		d = float64(n)
	}
	for i := range dst {
		t := 2 * math.Pi * float64(i) / d
		dst[i] = a0 - a1*math.Cos(t) + a2*math.Cos(2*t)
	}
	return dst
}

// DetrendSignal writes x with its trend removed to dst, as
// scipy.signal.detrend(x, type=…): DetrendConstant subtracts the mean,
// DetrendLinear the least-squares line through (i, x[i]), DetrendNone
// copies. dst has len(x) samples (nil allocates), may be x (in place) and
// is returned.
func DetrendSignal(dst, x []float64, kind Detrend) []float64 {
	const op = "DetrendSignal"
	dst = useDst(dst, len(x), op)
	copy(dst, x)
	switch kind {
	case DetrendNone:
	case DetrendConstant:
		winDemean(dst)
	case DetrendLinear:
		detrendLinear(dst)
	default:
		panic(fmt.Sprintf("dsp: %s: unknown detrend %d", op, kind))
	}
	return dst
}

// winDemean subtracts the mean of x from x.
func winDemean(x []float64) {
	if len(x) == 0 {
		return
	}
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for i := range x {
		x[i] -= m
	}
}

// DPSS computes the first k discrete prolate spheroidal (Slepian) sequences
// of length n and half-bandwidth nw (NW = n·W, W the half-bandwidth in
// cycles/sample) together with their concentration ratios, the fraction of
// each taper's energy inside [−W, W]. It matches
// scipy.signal.windows.dpss(n, nw, k, sym=!periodic, norm=None,
// return_ratios=True):
//
//   - the tapers are the eigenvectors for the k largest eigenvalues of
//     Slepian's commuting tridiagonal matrix, diagonal ((n−1−2t)/2)²·cos(2πW),
//     off-diagonal t(n−t)/2 (Percival & Walden 1993), found here by Sturm
//     bisection and inverse iteration (scipy: LAPACK stebz + stein);
//   - each taper has unit L2 norm (scipy's norm=2, its default when Kmax is
//     given);
//   - signs follow Percival & Walden as scipy does: even-order tapers have a
//     positive sum; odd-order tapers are positive at the first sample whose
//     square exceeds max(1e-7, 1/n);
//   - ratios come from the taper autocorrelation r_xx: λ = Σ_τ r_xx[τ]·s[τ]
//     with s[0] = 2W, s[τ] = 4W·sinc(2Wτ).
//
// periodic (scipy's sym=False, what MNE uses) computes the n+1 point tapers
// (and their ratios) and drops the last sample.
//
// dst holds the tapers row-major, taper i at dst[i*n:(i+1)*n] (length k·n);
// ratios has length k. Nil slices allocate; both are returned. n = 1 gives
// the taper [1] with ratio 1. DPSS panics unless 1 ≤ k ≤ n and 0 < nw < n/2.
func DPSS(dst, ratios []float64, n int, nw float64, k int, periodic bool) (tapers, conc []float64) {
	const op = "DPSS"
	if n < 1 {
		panic(fmt.Sprintf("dsp: %s: n = %d, want ≥ 1", op, n))
	}
	if n == 1 {
		if k != 1 {
			panic(fmt.Sprintf("dsp: %s: %d tapers of length 1, want 1", op, k))
		}
		dst, ratios = useDst(dst, 1, op), useOut(ratios, 1, op, "ratios")
		dst[0], ratios[0] = 1, 1
		return dst, ratios
	}
	if k < 1 || k > n {
		panic(fmt.Sprintf("dsp: %s: taper count %d outside [1, %d]", op, k, n))
	}
	if !(nw > 0) || nw >= float64(n)/2 {
		panic(fmt.Sprintf("dsp: %s: half-bandwidth NW = %v outside (0, %v)", op, nw, float64(n)/2))
	}
	dst = useDst(dst, k*n, op)
	ratios = useOut(ratios, k, op, "ratios")
	m := n
	if periodic {
		m = n + 1
	}
	v := mtSlepian(m, nw, k)
	w := nw / float64(m)
	mtRatios(ratios, v, m, k, w)
	for i := range k {
		copy(dst[i*n:(i+1)*n], v[i*m:i*m+n])
	}
	return dst, ratios
}

// mtSlepian returns the k leading unit-norm eigenvectors (row-major, k×m,
// largest eigenvalue first) of Slepian's tridiagonal matrix for length m and
// half-bandwidth nw, with scipy's sign conventions.
func mtSlepian(m int, nw float64, k int) []float64 {
	w := nw / float64(m)
	d := make([]float64, m)
	e := make([]float64, m-1)
	c := math.Cos(2 * math.Pi * w)
	for t := range d {
		h := (float64(m) - 1 - 2*float64(t)) / 2
		d[t] = h * h * c
	}
	for t := 1; t < m; t++ {
		e[t-1] = float64(t) * float64(m-t) / 2
	}
	v := make([]float64, k*m)
	s := newMTTridiag(d, e)
	for i := range k {
		lambda := s.eigenvalue(m - 1 - i) // i-th largest
		s.eigenvector(v[i*m:(i+1)*m], lambda, v[:i*m])
	}
	thresh := math.Max(1e-7, 1/float64(m))
	for i := range k {
		row := v[i*m : (i+1)*m]
		flip := false
		if i%2 == 0 {
			var sum float64
			for _, x := range row {
				sum += x
			}
			flip = sum < 0
		} else {
			for _, x := range row {
				if x*x > thresh {
					flip = x < 0
					break
				}
			}
		}
		if flip {
			for j := range row {
				row[j] = -row[j]
			}
		}
	}
	return v
}

// mtRatios fills ratios with the spectral concentration of the k tapers in
// v (k×m) for half-bandwidth w in cycles/sample, from their FFT-computed
// autocorrelations as scipy's _fftautocorr.
func mtRatios(ratios, v []float64, m, k int, w float64) {
	nfft := 1
	for nfft < 2*m-1 {
		nfft *= 2
	}
	fft := fourier.NewFFT(nfft)
	seq := make([]float64, nfft)
	coef := make([]complex128, nfft/2+1)
	s := make([]float64, m)
	s[0] = 2 * w
	for t := 1; t < m; t++ {
		x := math.Pi * 2 * w * float64(t)
		s[t] = 4 * w * math.Sin(x) / x
	}
	for i := range k {
		clear(seq)
		copy(seq, v[i*m:(i+1)*m])
		fft.Coefficients(coef, seq)
		for j, z := range coef {
			coef[j] = complex(real(z)*real(z)+imag(z)*imag(z), 0)
		}
		fft.Sequence(seq, coef)
		var r float64
		for t := range m {
			r += seq[t] / float64(nfft) * s[t]
		}
		ratios[i] = r
	}
}

// mtTridiag is a symmetric tridiagonal matrix with diagonal d and
// off-diagonal e, with the scratch space for inverse iteration.
type mtTridiag struct {
	d, e       []float64
	e2         []float64
	lo, hi     float64 // Gershgorin bounds
	norm       float64
	a, b, c, u []float64 // LU factors of T − λI (u: second superdiagonal)
	perm       []bool
}

func newMTTridiag(d, e []float64) *mtTridiag {
	n := len(d)
	s := &mtTridiag{
		d: d, e: e, e2: make([]float64, len(e)),
		a: make([]float64, n), b: make([]float64, n), c: make([]float64, n), u: make([]float64, n),
		perm: make([]bool, n),
	}
	s.lo, s.hi = math.Inf(1), math.Inf(-1)
	for i := range d {
		r := 0.0
		if i > 0 {
			r += math.Abs(e[i-1])
		}
		if i < len(e) {
			r += math.Abs(e[i])
		}
		s.lo = math.Min(s.lo, d[i]-r)
		s.hi = math.Max(s.hi, d[i]+r)
	}
	for i, v := range e {
		s.e2[i] = v * v
	}
	s.norm = math.Max(math.Abs(s.lo), math.Abs(s.hi))
	return s
}

// below returns how many eigenvalues are < x (Sturm count of the LDLᵀ
// factorization of T − xI).
func (s *mtTridiag) below(x float64) int {
	pivmin := math.SmallestNonzeroFloat64 / math.Pow(2, -52) * math.Max(1, s.norm*s.norm)
	count := 0
	q := s.d[0] - x
	for i := 0; ; i++ {
		if math.Abs(q) < pivmin {
			q = -pivmin
		}
		if q < 0 {
			count++
		}
		if i+1 == len(s.d) {
			return count
		}
		q = s.d[i+1] - x - s.e2[i]/q
	}
}

// eigenvalue returns the j-th smallest eigenvalue (0-based) by bisection to
// full precision.
func (s *mtTridiag) eigenvalue(j int) float64 {
	lo, hi := s.lo, s.hi
	pad := 2 * math.Pow(2, -52) * s.norm
	lo, hi = lo-pad-math.SmallestNonzeroFloat64, hi+pad+math.SmallestNonzeroFloat64
	for {
		mid := lo + (hi-lo)/2
		if mid <= lo || mid >= hi {
			return mid
		}
		if s.below(mid) > j {
			hi = mid
		} else {
			lo = mid
		}
	}
}

// eigenvector fills v with the unit eigenvector for eigenvalue lambda by
// inverse iteration on T − λI (LU with partial pivoting, as LAPACK's
// dlagtf/dlagts), orthogonalised against the earlier eigenvectors in prev.
func (s *mtTridiag) eigenvector(v []float64, lambda float64, prev []float64) {
	n := len(s.d)
	a, b, c, u, perm := s.a, s.b, s.c, s.u, s.perm
	// a: diagonal, b: super, c: sub of T − λI; after factorisation a holds
	// U's diagonal, b its first superdiagonal, u its second, c the
	// multipliers.
	for i := range n {
		a[i] = s.d[i] - lambda
	}
	copy(b, s.e)
	copy(c, s.e)
	b[n-1], c[n-1] = 0, 0
	for i := range n {
		u[i] = 0
		perm[i] = false
	}
	tiny := math.Pow(2, -52) * s.norm
	for i := 0; i < n-1; i++ {
		if math.Abs(a[i]) >= math.Abs(c[i]) {
			if a[i] == 0 {
				a[i] = tiny
			}
			mult := c[i] / a[i]
			c[i] = mult
			a[i+1] -= mult * b[i]
		} else {
			mult := a[i] / c[i]
			a[i] = c[i]
			c[i] = mult
			tmp := a[i+1]
			a[i+1] = b[i] - mult*tmp
			if i < n-2 {
				u[i] = b[i+1]
				b[i+1] = -mult * u[i]
			}
			b[i] = tmp
			perm[i] = true
		}
	}
	if a[n-1] == 0 {
		a[n-1] = tiny
	}
	for i := range v {
		// A start vector with no special symmetry.
		v[i] = 1 + 0.5*math.Sin(float64(i)*1.2345+0.1)
	}
	for range 4 {
		// Forward: apply L⁻¹ with the row swaps.
		for i := 0; i < n-1; i++ {
			if perm[i] {
				v[i], v[i+1] = v[i+1], v[i]-c[i]*v[i+1]
			} else {
				v[i+1] -= c[i] * v[i]
			}
		}
		// Back substitution with U.
		for i := n - 1; i >= 0; i-- {
			x := v[i]
			if i+1 < n {
				x -= b[i] * v[i+1]
			}
			if i+2 < n {
				x -= u[i] * v[i+2]
			}
			piv := a[i]
			if math.Abs(piv) < tiny {
				piv = math.Copysign(tiny, piv)
			}
			v[i] = x / piv
		}
		for p := 0; p < len(prev); p += n {
			q := prev[p : p+n]
			var dot float64
			for i := range v {
				dot += v[i] * q[i]
			}
			for i := range v {
				v[i] -= dot * q[i]
			}
		}
		var nrm float64
		for _, x := range v {
			nrm += x * x
		}
		nrm = 1 / math.Sqrt(nrm)
		for i := range v {
			v[i] *= nrm
		}
	}
}
