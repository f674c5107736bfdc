package edf

import (
	"math"
	"math/bits"
	"math/cmplx"

	"gonum.org/v1/gonum/dsp/fourier"
)

// A lower-rate signal channel is upsampled the way MNE does on preload:
// mne.filter.resample(x, M, N, npad=0) over the whole recording, i.e. the
// N-point spectrum X of x, the Nyquist bin halved when N is even, scaled
// by M/N, zero-padded to M points and inverse transformed (numpy's 1/M):
//
//	y[j] = (1/N)·(Re X_0 + 2·Σ_{k=1}^{⌊N/2⌋} c_k·Re(X_k·e^{2πi·jk/M})),
//
// with c_k = ½ for k = N/2 of an even N and 1 otherwise. Every output
// sample depends on every input sample, so y cannot be computed record by
// record; but it need not be held whole either. The reader keeps the
// ⌊N/2⌋+1 coefficients d_k (16 bytes per two input samples, the size of x
// as float64) and evaluates y one block of B output samples at a time by
// the chirp-z transform: Bluestein's identity jk = (j² + k² − (j−k)²)/2
// turns the sum into a convolution, done with FFTs of a length L ≥ B +
// ⌊N/2⌋. The same identity computes X itself, with FFTs of the same
// length when B >= N, so one FFT plan and one work array serve both.
// Blocks start at multiples of B whatever the request, so a sample has
// the same value however the recording is read.

// minBlock is the fewest output samples a block holds, so that a channel
// with few samples does not pay two FFTs per handful of outputs. It is
// small because each lower-rate channel keeps one block.
const minBlock = 256

// maxDirect is the most coefficients for which sums are done directly,
// which is cheaper than FFTs of a block's length.
const maxDirect = 16

// zoomPlan upsamples every channel with the same N and M.
type zoomPlan struct {
	n, m  int64        // input length N, output length M
	bins  int          // coefficients: ⌊N/2⌋+1
	block int64        // output samples per block, B
	inv   []complex128 // DFT of the kernel that evaluates y, length L; nil: direct sums
	fwd   []complex128 // DFT of the kernel that computes X, until release
	fft   *fourier.CmplxFFT
}

// newZoomPlan returns the plan for N input and M output samples (0 < N <
// M). fft returns the complex FFT plan of a given length, shared between
// zoom plans of equal length.
func newZoomPlan(n, m int64, fft func(l int) *fourier.CmplxFFT) *zoomPlan {
	bins := int(n/2 + 1)
	b := min(max(n, minBlock), m)
	p := &zoomPlan{n: n, m: m, bins: bins, block: b}
	if bins <= maxDirect {
		return p
	}
	// L >= B + bins - 1 for the block sums and >= N + bins - 1 for the
	// spectrum; B >= N, or B = M > N, covers both.
	l := goodSize(int(b) + bins - 1)
	p.fft = fft(l)
	// inv[t] = conj(ω_M(t²)) for the lags t in [-(bins-1), B), wrapped.
	p.inv = make([]complex128, l)
	for t := int64(0); t < b; t++ {
		p.inv[t] = cmplx.Conj(omega(sqMod(t, 2*m), m))
	}
	for t := 1; t < bins; t++ {
		p.inv[l-t] = cmplx.Conj(omega(sqMod(int64(t), 2*m), m))
	}
	p.fft.Coefficients(p.inv, p.inv)
	// fwd[t] = ω_N(t²) for the lags t in [-(N-1), bins), wrapped.
	p.fwd = make([]complex128, l)
	for t := 0; t < bins; t++ {
		p.fwd[t] = omega(sqMod(int64(t), 2*n), n)
	}
	for t := int64(1); t < n; t++ {
		p.fwd[int64(l)-t] = omega(sqMod(t, 2*n), n)
	}
	p.fft.Coefficients(p.fwd, p.fwd)
	return p
}

// Len returns the plan's work length L, 0 for direct sums: coefficients
// and eval need a work slice this long.
func (p *zoomPlan) Len() int { return len(p.inv) }

// release drops what only coefficients needs.
func (p *zoomPlan) release() { p.fwd = nil }

// coefficients returns the d_k of x (length N) for eval: the
// unnormalized DFT bins X_0..X_⌊N/2⌋ with d_0 = ½·Re X_0 and, for an even
// N, the Nyquist bin halved, so that y[j] = (2/N)·Re Σ_k d_k·e^{2πi·jk/M}.
//
// With ω(q) = e^{iπq/N}: X_k = conj(ω(k²))·Σ_j x_j·conj(ω(j²))·ω((k−j)²),
// a circular convolution with the kernel fwd holds.
func (p *zoomPlan) coefficients(x []float64, work []complex128) []complex128 {
	d := make([]complex128, p.bins)
	n := p.n
	if p.inv == nil {
		for k := range d {
			for j, v := range x {
				d[k] += complex(v, 0) * cmplx.Conj(omega(mulMod(2*int64(j), int64(k), 2*n), n))
			}
		}
	} else {
		u := work[:len(p.fwd)]
		mod := uint64(2 * n)
		q := uint64(0) // j² mod 2N
		for j, v := range x {
			u[j] = complex(v, 0) * cmplx.Conj(omega(int64(q), n))
			q = (q + 2*uint64(j) + 1) % mod
		}
		clear(u[len(x):])
		p.fft.Coefficients(u, u)
		for i, w := range p.fwd {
			u[i] *= w
		}
		p.fft.Sequence(u, u)
		inv := complex(1/float64(len(u)), 0)
		q = 0
		for k := range d {
			d[k] = cmplx.Conj(omega(int64(q), n)) * u[k] * inv
			q = (q + 2*uint64(k) + 1) % mod
		}
	}
	d[0] = complex(real(d[0])/2, 0)
	if n%2 == 0 {
		d[n/2] /= 2
	}
	return d
}

// eval writes y[a+t] into dst[t] for t in [0, len(dst)), with d from
// coefficients and work of length L. len(dst) must be at most B.
//
// With ω(q) = e^{iπq/M}: y[a+t] = (2/N)·Re(ω(t²)·Σ_k u_k·conj(ω((t−k)²)))
// where u_k = d_k·ω(2ak + k²), a circular convolution with the kernel inv
// holds. Phases are reduced modulo 2M in integers, so they are exact
// however long the recording.
func (p *zoomPlan) eval(dst []float64, d []complex128, a int64, work []complex128) {
	if int64(len(dst)) > p.block {
		panic("edf: upsampling block too long")
	}
	if p.inv == nil {
		p.direct(dst, d, a)
		return
	}
	u := work[:len(p.inv)]
	mod := uint64(2 * p.m)
	a2 := 2 * uint64(a%p.m)
	q := uint64(0) // 2ak + k² mod 2M
	for k, dk := range d {
		u[k] = dk * omega(int64(q), p.m)
		q = (q + a2 + 2*uint64(k) + 1) % mod
	}
	clear(u[len(d):])
	p.fft.Coefficients(u, u)
	for i, w := range p.inv {
		u[i] *= w
	}
	p.fft.Sequence(u, u)
	scale := 2 / (float64(p.n) * float64(len(u)))
	q = 0 // t² mod 2M
	for t := range dst {
		w := omega(int64(q), p.m)
		dst[t] = scale * (real(w)*real(u[t]) - imag(w)*imag(u[t]))
		q = (q + 2*uint64(t) + 1) % mod
	}
}

// direct is eval for few coefficients: the sum itself, each term's phase
// advanced by a rotation per output sample (which rounds by a few hundred
// ulps over a block).
func (p *zoomPlan) direct(dst []float64, d []complex128, a int64) {
	clear(dst)
	mod := 2 * p.m
	for k, dk := range d {
		w := dk * omega(mulMod(2*(a%p.m), int64(k), mod), p.m)
		step := omega(mulMod(2, int64(k), mod), p.m)
		for t := range dst {
			dst[t] += real(w)
			w *= step
		}
	}
	scale := 2 / float64(p.n)
	for t := range dst {
		dst[t] *= scale
	}
}

// omega returns e^{iπq/m} for 0 <= q < 2m.
func omega(q, m int64) complex128 {
	s, c := math.Sincos(math.Pi * float64(q) / float64(m))
	return complex(c, s)
}

// sqMod returns t² mod m for t >= 0, m > 0, without overflow.
func sqMod(t, m int64) int64 { return mulMod(t, t, m) }

// mulMod returns a·b mod m for a, b >= 0, m > 0, without overflow.
func mulMod(a, b, m int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return int64(bits.Rem64(hi%uint64(m), lo, uint64(m)))
}

// goodSize returns the smallest n >= x whose only prime factors are 2, 3
// and 5, the lengths gonum's FFTPACK transforms fastest.
func goodSize(x int) int {
	best := 1
	for best < x {
		best <<= 1
	}
	for p5 := 1; p5 < best; p5 *= 5 {
		for p35 := p5; p35 < best; p35 *= 3 {
			n := p35
			for n < x {
				n <<= 1
			}
			best = min(best, n)
		}
	}
	return best
}
